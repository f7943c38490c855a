import type { Emulator } from "@semfly/fly-emulator";
import { scenario } from "@semfly/fly-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { semfly, startTestEmulator } from "../helpers.js";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator.close();
});

const D12 = "sha256:ed5c6ce26bc7cf3f7a197ee6cae6d63aa415b2de67a05678aec46d67a0369979";

describe("semfly status", () => {
  it("shows the version every machine runs", async () => {
    const { stdout, stderr, exitCode } = await semfly(["status"], emulator);
    expect(exitCode).toBe(0);
    expect(stderr).toBe("");
    expect(stdout).toBe(
      [
        "App:      acme-web",
        "Version:  3.1.12",
        "",
        "ID              NAME               REGION  GROUP   STATE    VERSION  DIGEST",
        "148e272f6d4d89  green-star-4417    ams     worker  started  3.1.12   sha256:ed5c6ce26bc7",
        "2b7e4c9d1a0f53  icy-field-3391     ams     worker  stopped  3.1.12   sha256:ed5c6ce26bc7",
        "3d8d9e1a265789  calm-meadow-5512   iad     app     started  3.1.12   sha256:ed5c6ce26bc7",
        "5683d4e3c7e08e  bold-river-2045    ams     app     started  3.1.12   sha256:ed5c6ce26bc7",
        "9080524f612387  eager-forest-8810  iad     app     stopped  3.1.12   sha256:ed5c6ce26bc7",
        "d8d1779c4d0e18  hidden-wave-6203   iad     worker  started  3.1.12   sha256:ed5c6ce26bc7",
        "e784079b449483  aged-thunder-7371  ams     app     started  3.1.12   sha256:ed5c6ce26bc7",
        "",
        "Not managed (semfly leaves these alone, as flyctl deploys do):",
        "  6e82d3f1b0a947  fancy-sun-5820  ams  stopped: not a Fly Launch machine",
        "",
      ].join("\n"),
    );
  });

  it("prints the documented JSON shape", async () => {
    const { stdout } = await semfly(["status", "--json"], emulator);
    const status = JSON.parse(stdout);
    expect(status).toMatchObject({ app: "acme-web", version: "3.1.12", drift: false });
    expect(status.machines).toHaveLength(7);
    expect(status.unmanaged).toEqual([
      {
        id: "6e82d3f1b0a947",
        name: "fancy-sun-5820",
        region: "ams",
        state: "stopped",
        image: "registry.fly.io/acme-web:3.1.10",
        reason: "not a Fly Launch machine",
      },
    ]);
    expect(status.machines[0]).toEqual({
      id: "148e272f6d4d89",
      name: "green-star-4417",
      region: "ams",
      processGroup: "worker",
      state: "started",
      version: "3.1.12",
      digest: D12,
      image: "registry.fly.io/acme-web:deployment-01JV8Q2M3T6Y9C4B7N1K5H0R2X",
    });
  });

  it("gives a null version and names the drift when machines disagree", async () => {
    const app = scenario("drifty")
      .image("1.0.0")
      .image("1.1.0")
      .release({ image: "1.0.0" })
      .release({ image: "1.1.0" })
      .machine({ id: "m1", name: "one", region: "ams", release: 2 })
      .machine({ id: "m2", name: "two", region: "iad", release: 1 });
    const own = await startTestEmulator(app.build());
    try {
      const json = JSON.parse((await semfly(["status", "--json"], own)).stdout);
      expect(json.version).toBeNull();
      expect(json.drift).toBe(true);
      expect(json.machines.map((m: { version: string }) => m.version)).toEqual(["1.1.0", "1.0.0"]);
      const { stdout } = await semfly(["status"], own);
      expect(stdout.split("\n").slice(0, 3)).toEqual([
        "App:      drifty",
        "Version:  mixed (machines disagree)",
        "Drift:    1 app machine in iad runs 1.0.0",
      ]);
    } finally {
      await own.close();
    }
  });

  it("agrees in number in each drift line: one machine runs, two machines run", async () => {
    const app = scenario("drifty")
      .image("1.0.0")
      .image("1.1.0")
      .release({ image: "1.0.0" })
      .release({ image: "1.1.0" })
      .machine({ id: "m1", name: "one", region: "ams", release: 2 })
      .machine({ id: "m2", name: "two", region: "iad", release: 1 })
      .machine({ id: "m3", name: "three", region: "iad", release: 1 })
      .machine({ id: "m4", name: "four", region: "ams", release: 1 });
    const own = await startTestEmulator(app.build());
    try {
      const { stdout } = await semfly(["status"], own);
      expect(stdout.split("\n").slice(2, 4).sort()).toEqual([
        "Drift:    1 app machine in ams runs 1.0.0",
        "Drift:    2 app machines in iad run 1.0.0",
      ]);
    } finally {
      await own.close();
    }
  });

  it("handles an app without machines", async () => {
    expect(await semfly(["status", "--app", "empty-app"], emulator)).toEqual({
      stdout: "App:      empty-app\nVersion:  -\n\nempty-app has no machines.\n",
      stderr: "",
      exitCode: 0,
    });
    const json = JSON.parse((await semfly(["status", "-a", "empty-app", "-j"], emulator)).stdout);
    expect(json).toEqual({
      app: "empty-app",
      version: null,
      drift: false,
      groups: [],
      machines: [],
      unmanaged: [],
      freeze: null,
    });
  });
});
