import { describe, expect, it } from "vitest";
import type { MachineJson } from "../src/index.js";
import {
  call,
  DEMO_APP_MACHINE,
  DEMO_WORKER_MACHINE,
  machinePath,
  start,
  until,
} from "./helpers.js";

async function machineConfig(emulator: Awaited<ReturnType<typeof start>>, id: string) {
  const res = await call<MachineJson>(emulator, "GET", machinePath(id));
  return res.body;
}

describe("machine update", () => {
  it("goes replacing, then started, then reports passing checks", async () => {
    // A long check delay leaves a wide window to see "started, no checks yet".
    const emulator = await start({ bootTimeMs: 40, checkDelayMs: 400 });
    const before = await machineConfig(emulator, DEMO_APP_MACHINE);
    const config = { ...before.config, image: "registry.fly.io/acme-web:v3.1.11" };
    const res = await call<MachineJson>(emulator, "POST", machinePath(DEMO_APP_MACHINE), {
      body: { config },
    });
    expect(res.status).toBe(200);
    expect(res.body.state).toBe("replacing");
    expect(res.body.instance_id).not.toBe(before.instance_id);
    expect(res.body.version).toBe(res.body.instance_id);
    expect(res.body.checks).toEqual([]);
    expect(res.body.image_ref).toMatchObject({
      registry: "registry.fly.io",
      repository: "acme-web",
      tag: "v3.1.11",
      labels: { "org.opencontainers.image.version": "3.1.11" },
    });
    await until(() => emulator.machine("acme-web", DEMO_APP_MACHINE).state === "started");
    expect(emulator.machine("acme-web", DEMO_APP_MACHINE).checks).toEqual([]);
    await until(() => (emulator.machine("acme-web", DEMO_APP_MACHINE).checks ?? []).length > 0);
    expect(emulator.machine("acme-web", DEMO_APP_MACHINE).checks).toEqual([
      expect.objectContaining({ name: "servicecheck-00-http-8080", status: "passing" }),
    ]);
  });

  it("reports critical checks for an image marked bad", async () => {
    const emulator = await start();
    emulator.markImageBad("registry.fly.io/acme-web:3.1.10");
    const before = await machineConfig(emulator, DEMO_APP_MACHINE);
    await call(emulator, "POST", machinePath(DEMO_APP_MACHINE), {
      body: { config: { ...before.config, image: "registry.fly.io/acme-web:3.1.10" } },
    });
    await until(() => (emulator.machine("acme-web", DEMO_APP_MACHINE).checks ?? []).length > 0);
    const machine = emulator.machine("acme-web", DEMO_APP_MACHINE);
    expect(machine.state).toBe("started");
    expect(machine.checks?.[0]?.status).toBe("critical");
  });

  it("never reaches started for an image that never starts", async () => {
    const emulator = await start();
    emulator.markImageNeverStarts("registry.fly.io/acme-web:3.1.10", "fail");
    const before = await machineConfig(emulator, DEMO_APP_MACHINE);
    await call(emulator, "POST", machinePath(DEMO_APP_MACHINE), {
      body: { config: { ...before.config, image: "registry.fly.io/acme-web:3.1.10" } },
    });
    await emulator.idle();
    expect(emulator.machine("acme-web", DEMO_APP_MACHINE).state).toBe("failed");
  });

  it("resolves a digest ref through the registry table", async () => {
    const emulator = await start();
    const image = emulator.images("acme-web").find((i) => i.tag === "3.1.9");
    const ref = `registry.fly.io/acme-web@${image?.digest}`;
    const res = await call<MachineJson>(emulator, "POST", machinePath(DEMO_WORKER_MACHINE), {
      body: { config: { image: ref } },
    });
    expect(res.status).toBe(200);
    expect(res.body.config?.image).toBe(ref);
    expect(res.body.image_ref.digest).toBe(image?.digest);
    expect(res.body.image_ref.labels["org.opencontainers.image.version"]).toBe("3.1.9");
  });

  it("refuses an image the registry does not have", async () => {
    const emulator = await start();
    const res = await call<{ error: string }>(emulator, "POST", machinePath(DEMO_APP_MACHINE), {
      body: { config: { image: "registry.fly.io/acme-web:9.9.9" } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toContain("failed to get manifest");
    expect(emulator.machineVersions("acme-web", DEMO_APP_MACHINE)).toHaveLength(4);
  });

  it("refuses a body without a config image", async () => {
    const emulator = await start();
    for (const body of [{}, { config: {} }, { config: { image: "" } }, "nope"]) {
      const res = await call(emulator, "POST", machinePath(DEMO_APP_MACHINE), { body });
      expect(res.status).toBe(400);
    }
  });

  it("answers 409 when current_version is stale", async () => {
    const emulator = await start();
    const versions = emulator.machineVersions("acme-web", DEMO_APP_MACHINE);
    const res = await call(emulator, "POST", machinePath(DEMO_APP_MACHINE), {
      body: {
        config: { image: "registry.fly.io/acme-web:deployment-01JV8Q2M3T6Y9C4B7N1K5H0R2X" },
        current_version: versions[0]?.version,
      },
    });
    expect(res.status).toBe(409);
    const current = versions[versions.length - 1]?.version;
    const ok = await call(emulator, "POST", machinePath(DEMO_APP_MACHINE), {
      body: {
        config: { image: "registry.fly.io/acme-web:deployment-01JV8Q2M3T6Y9C4B7N1K5H0R2X" },
        current_version: current,
      },
    });
    expect(ok.status).toBe(200);
  });

  it("keeps every config version and serves an old one with ?version=", async () => {
    const emulator = await start();
    const list = await call<Array<{ version: string; user_config: { image: string } }>>(
      emulator,
      "GET",
      machinePath(DEMO_APP_MACHINE, "/versions"),
    );
    expect(list.status).toBe(200);
    expect(list.body.map((v) => v.user_config.image)).toEqual([
      "registry.fly.io/acme-web:deployment-01JV8Q2M3T6Y9C4B7N1K5H0R2X",
      "registry.fly.io/acme-web:deployment-01JV8Q2M3T6Y9C4B7N1K5H0R2X",
      "registry.fly.io/acme-web:v3.1.11",
      "registry.fly.io/acme-web:3.1.10",
    ]);
    const old = list.body[2];
    const res = await call<MachineJson>(
      emulator,
      "GET",
      machinePath(DEMO_APP_MACHINE, `?version=${old?.version}`),
    );
    expect(res.status).toBe(200);
    expect(res.body.state).toBe("replaced");
    expect(res.body.config?.image).toBe("registry.fly.io/acme-web:v3.1.11");
    expect(res.body.config?.metadata?.fly_release_version).toBe("18");
    expect(res.body.instance_id).toBe(old?.version);
    const missing = await call(emulator, "GET", machinePath(DEMO_APP_MACHINE, "?version=01NOPE"));
    expect(missing.status).toBe(404);
  });

  it("stops and starts a machine", async () => {
    const emulator = await start();
    const stop = await call(emulator, "POST", machinePath(DEMO_WORKER_MACHINE, "/stop"), {
      body: {},
    });
    expect(stop.status).toBe(200);
    expect(stop.body).toEqual({ ok: true });
    await emulator.idle();
    expect(emulator.machine("acme-web", DEMO_WORKER_MACHINE).state).toBe("stopped");
    const started = await call(emulator, "POST", machinePath(DEMO_WORKER_MACHINE, "/start"));
    expect(started.status).toBe(200);
    expect(started.body).toEqual({ previous_state: "stopped", migrated: false, new_host: "" });
    await emulator.idle();
    expect(emulator.machine("acme-web", DEMO_WORKER_MACHINE).state).toBe("started");
  });

  it("answers 404 for an unknown app or machine", async () => {
    const emulator = await start();
    const app = await call<{ error: string }>(emulator, "GET", "/v1/apps/nope/machines");
    expect(app.status).toBe(404);
    expect(app.body.error).toBe("app not found");
    const machine = await call<{ error: string }>(emulator, "GET", machinePath("0000000000"));
    expect(machine.status).toBe(404);
    expect(machine.body.error).toBe("machine not found");
  });

  it("reads and writes machine metadata", async () => {
    const emulator = await start();
    const all = await call<Record<string, string>>(
      emulator,
      "GET",
      machinePath(DEMO_APP_MACHINE, "/metadata"),
    );
    expect(all.body).toMatchObject({
      fly_process_group: "app",
      fly_release_version: "27",
      fly_platform_version: "v2",
    });
    const set = await call(
      emulator,
      "POST",
      machinePath(DEMO_APP_MACHINE, "/metadata/semfly_version"),
      {
        body: { value: "3.1.12" },
      },
    );
    expect(set.status).toBe(204);
    const one = await call(
      emulator,
      "GET",
      machinePath(DEMO_APP_MACHINE, "/metadata/semfly_version"),
    );
    expect(one.body).toEqual({ value: "3.1.12" });
    const patched = await call(emulator, "PATCH", machinePath(DEMO_APP_MACHINE, "/metadata"), {
      body: { metadata: { semfly_version: null, other: "y" } },
    });
    expect(patched.status).toBe(204);
    const after = await call<Record<string, string>>(
      emulator,
      "GET",
      machinePath(DEMO_APP_MACHINE, "/metadata"),
    );
    expect(after.body.semfly_version).toBeUndefined();
    expect(after.body.other).toBe("y");
    expect(after.body.fly_release_id).toBeDefined();
    const removed = await call(
      emulator,
      "DELETE",
      machinePath(DEMO_APP_MACHINE, "/metadata/other"),
    );
    expect(removed.status).toBe(204);
    expect(
      (await call(emulator, "GET", machinePath(DEMO_APP_MACHINE, "/metadata/other"))).status,
    ).toBe(404);
    const stale = await call(emulator, "PATCH", machinePath(DEMO_APP_MACHINE, "/metadata"), {
      body: { metadata: { a: "b" }, machine_version: "01OLD" },
    });
    expect(stale.status).toBe(412);
  });
});
