import { type Emulator, scenario, startEmulator } from "@semfly/fly-emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFlyClient, type FlyClient, prepareDeploy } from "../../src/index.js";

const APP = "guarded";
const ref = (tag: string) => `registry.fly.io/${APP}:${tag}`;
let emulator: Emulator;
let client: FlyClient;

// 5.1.0 then 5.2.0 deployed; 5.2.0 runs. Pushed but not deployed: a hotfix build of 5.2.0 (another image),
// an image tagged flyctl's way whose label says 5.3.0, and one tagged 5.3.1.
beforeEach(async () => {
  const builder = scenario(APP)
    .image("5.1.0")
    .image("5.2.0")
    .image("5.2.0+hotfix.1", { tag: "5.2.0_hotfix.1" })
    .image("5.3.0", { tag: "deployment-01JV8Q2M3T6Y9C4B7N1K5H0R2X" })
    .image("5.3.1")
    .release({ image: "5.1.0" })
    .release({ image: "5.2.0" })
    .machines(2);
  emulator = await startEmulator({ scenario: builder, bootTimeMs: 10 });
  client = createFlyClient({
    token: emulator.token,
    apiBaseUrl: emulator.url,
    flapsBaseUrl: emulator.url,
  });
  emulator.clearRequestLog();
});
afterEach(() => emulator.close());

const refusal = (input: Parameters<typeof prepareDeploy>[2]) =>
  prepareDeploy(client, APP, input).then(
    () => "planned",
    (error: { code: string; message: string }) => error.code,
  );

describe("deploy guards over Fly", () => {
  it("refuses 5.2.0+hotfix.1 as a second image for 5.2.0's precedence, whatever the flags", async () => {
    const input = { version: "5.2.0+hotfix.1", imageRef: ref("5.2.0_hotfix.1") };
    expect(await refusal(input)).toBe("SAME_PRECEDENCE");
    expect(await refusal({ ...input, forceVersion: true, allowDowngrade: true })).toBe(
      "SAME_PRECEDENCE",
    );
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("refuses an image whose OCI label names another version, read from Fly's answer", async () => {
    const image = ref("deployment-01JV8Q2M3T6Y9C4B7N1K5H0R2X");
    await expect(prepareDeploy(client, APP, { version: "5.4.0", imageRef: image })).rejects.toThrow(
      `${image} names 5.3.0 (its org.opencontainers.image.version label), not 5.4.0.`,
    );
    expect(emulator.mutatingRequests()).toEqual([]);
    const prepared = await prepareDeploy(client, APP, {
      version: "5.4.0",
      imageRef: image,
      forceVersion: true,
    });
    expect(prepared.plan.to.version).toBe("5.4.0");
  });

  it("refuses an image whose tag names another version unless --force-version", async () => {
    expect(await refusal({ version: "5.4.0", imageRef: ref("5.3.1") })).toBe(
      "IMAGE_NAMES_OTHER_VERSION",
    );
    expect(
      await refusal({ version: "5.3.0", imageRef: ref("deployment-01JV8Q2M3T6Y9C4B7N1K5H0R2X") }),
    ).toBe("planned");
    expect(emulator.mutatingRequests()).toEqual([]);
  });
});
