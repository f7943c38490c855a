import type { Emulator } from "@semfly/fly-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { semfly, startTestEmulator } from "../helpers.js";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator.close();
});

describe("semfly releases", () => {
  it("lists Fly's releases, highest first, with the version each belongs to", async () => {
    const { stdout, stderr, exitCode } = await semfly(["releases"], emulator);
    expect(exitCode).toBe(0);
    expect(stderr).toBe("");
    const lines = stdout.split("\n");
    expect(lines.slice(0, 7)).toEqual([
      "RELEASE  VERSION  STATUS       REASON  DESCRIPTION                        USER             DATE",
      "v27      3.1.12   complete     scale   Scaled VM memory to 1024MB         alice@acme.test  1h ago",
      "v26      3.1.12   complete     scale   Scaled app to 4 machines           bob@acme.test    7d ago",
      "v25      3.1.12   interrupted  scale   Scaled app to 12 machines          bob@acme.test    13d ago",
      "v24      3.1.12   complete     scale   Scaled worker to 2 machines        bob@acme.test    21d ago",
      "v23      3.1.12   complete     deploy  Deploy image                       carol@acme.test  27d ago",
      "v22      3.1.11   complete     scale   Added region iad                   carol@acme.test  35d ago",
    ]);
    expect(lines.at(-2)).toBe(
      "v3       3.1.9    complete     deploy  Deploy image                       alice@acme.test  5mo ago",
    );
    expect(lines).toHaveLength(27);
  });

  it("shortens the description first on a narrow terminal", async () => {
    const { stdout } = await semfly(["releases"], emulator, { env: { COLUMNS: "80" } });
    expect(stdout.split("\n")[1]).toBe(
      "v27      3.1.12   complete     scale   Scaled VM memo…  alice@acme.test  1h ago",
    );
  });

  it("prints the documented JSON shape", async () => {
    const { stdout, stderr } = await semfly(["releases", "--json"], emulator);
    expect(stderr).toBe("");
    const releases = JSON.parse(stdout);
    expect(releases.map((r: { release: number }) => r.release)).toEqual(
      Array.from({ length: 25 }, (_, i) => 27 - i),
    );
    expect(releases[0]).toEqual({
      release: 27,
      version: "3.1.12",
      status: "complete",
      reason: "scale",
      description: "Scaled VM memory to 1024MB",
      user: "alice@acme.test",
      createdAt: "2025-06-11T10:03:14Z",
      imageRef: "registry.fly.io/acme-web:deployment-01JV8Q2M3T6Y9C4B7N1K5H0R2X",
      digest: "sha256:ed5c6ce26bc7cf3f7a197ee6cae6d63aa415b2de67a05678aec46d67a0369979",
      id: "yybZaWX8QeVDehbX4NJdpvxSK",
    });
  });

  it("handles an app without releases", async () => {
    expect(await semfly(["releases", "--app", "empty-app"], emulator)).toEqual({
      stdout: "empty-app has no releases yet.\n",
      stderr: "",
      exitCode: 0,
    });
    expect((await semfly(["releases", "-a", "empty-app", "--json"], emulator)).stdout).toBe("[]\n");
  });
});
