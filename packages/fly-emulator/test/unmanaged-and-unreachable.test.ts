import { describe, expect, it } from "vitest";
import { LEASE_NONCE_HEADER, type MachineJson, scenario } from "../src/index.js";
import { call, start } from "./helpers.js";

const APP = "mixed";
const path = (id: string, suffix = "") => `/v1/apps/${APP}/machines/${id}${suffix}`;

function mixed() {
  return scenario(APP)
    .image("1.0.0")
    .image("1.1.0")
    .release({ image: "1.0.0" })
    .machine({ id: "000000000000a1", region: "ams" })
    .machine({ id: "000000000000a2", region: "ams", hostStatus: "unreachable" })
    .machine({
      id: "000000000000u1",
      region: "ams",
      unmanaged: true,
      config: { image: `registry.fly.io/${APP}:1.0.0` },
    })
    .machine({ id: "000000000000u2", region: "ams", platformVersion: null })
    .machine({
      id: "000000000000r1",
      region: "ams",
      processGroup: "fly_app_release_command",
      state: "stopped",
    })
    .machine({
      id: "000000000000r2",
      region: "ams",
      processGroup: "release_command",
      legacyProcessGroup: true,
      state: "stopped",
    })
    .machine({ id: "000000000000c1", region: "ams", processGroup: "fly_app_console" })
    .machine({
      id: "000000000000t1",
      region: "ams",
      processGroup: "fly_app_test_machine_command",
      state: "stopped",
    })
    .machine({ id: "000000000000d1", region: "ams", state: "destroyed" });
}

describe("machines outside Fly Launch management", () => {
  it("lists every machine real Fly lists, unmanaged and reserved groups included", async () => {
    const emulator = await start({ scenario: mixed() });
    const res = await call<MachineJson[]>(emulator, "GET", `/v1/apps/${APP}/machines`);
    const byId = new Map(res.body.map((m) => [m.id, m]));
    expect([...byId.keys()].sort()).toEqual([
      "000000000000a1",
      "000000000000a2",
      "000000000000c1",
      "000000000000r1",
      "000000000000r2",
      "000000000000t1",
      "000000000000u1",
      "000000000000u2",
    ]);
    const metadata = (id: string) => byId.get(id)?.config?.metadata ?? {};
    expect(Object.keys(metadata("000000000000u1")).filter((k) => k.startsWith("fly_"))).toEqual([]);
    expect(metadata("000000000000u2").fly_platform_version).toBeUndefined();
    expect(metadata("000000000000u2").fly_process_group).toBe("app");
    expect(metadata("000000000000r1").fly_process_group).toBe("fly_app_release_command");
    expect(metadata("000000000000r2")).toMatchObject({ process_group: "release_command" });
    expect(metadata("000000000000r2").fly_process_group).toBeUndefined();
    expect(metadata("000000000000c1").fly_process_group).toBe("fly_app_console");
    expect(metadata("000000000000t1").fly_process_group).toBe("fly_app_test_machine_command");
    const deleted = await call<MachineJson[]>(
      emulator,
      "GET",
      `/v1/apps/${APP}/machines?include_deleted=true`,
    );
    expect(deleted.body.find((m) => m.id === "000000000000d1")?.state).toBe("destroyed");
  });
});

describe("a machine on an unreachable host", () => {
  it("answers host_status unreachable with incomplete_config, no config and an empty image_ref", async () => {
    const emulator = await start({ scenario: mixed() });
    const machine = (await call<MachineJson>(emulator, "GET", path("000000000000a2"))).body;
    expect(machine.host_status).toBe("unreachable");
    expect(machine.config).toBeUndefined();
    expect(machine.incomplete_config).toMatchObject({ image: `registry.fly.io/${APP}:1.0.0` });
    expect(machine.incomplete_config?.services).toBeUndefined();
    expect(machine.incomplete_config?.checks).toBeUndefined();
    expect(machine.image_ref).toMatchObject({ repository: "", tag: "" });
    const healthy = (await call<MachineJson>(emulator, "GET", path("000000000000a1"))).body;
    expect(healthy.host_status).toBe("ok");
    expect(healthy.incomplete_config).toBeUndefined();
  });

  it("refuses a lease, an update, a start, a stop and a wait with 503 and changes nothing", async () => {
    const emulator = await start({ scenario: mixed() });
    const id = "000000000000a2";
    const versions = emulator.machineVersions(APP, id).length;
    const attempts = [
      await call(emulator, "POST", path(id, "/lease"), { body: { ttl: 30 } }),
      await call(emulator, "POST", path(id), {
        body: { config: { image: `registry.fly.io/${APP}:1.1.0` } },
      }),
      await call(emulator, "POST", path(id, "/start")),
      await call(emulator, "POST", path(id, "/stop")),
      await call(emulator, "POST", path(id, "/cordon")),
      await call(emulator, "GET", path(id, "/wait?state=started&timeout=1")),
      await call(emulator, "DELETE", path(id)),
    ];
    expect(attempts.map((a) => a.status)).toEqual([503, 503, 503, 503, 503, 503, 503]);
    expect(emulator.machineVersions(APP, id)).toHaveLength(versions);
    expect(emulator.leases(APP)).toEqual([]);
    const log = emulator.requestLog.filter((e) => e.path.startsWith(path(id)));
    expect(log.every((e) => e.notes?.includes("host_unreachable"))).toBe(true);
  });

  it("can still be destroyed by force, which is how it is replaced", async () => {
    const emulator = await start({ scenario: mixed() });
    const res = await call(emulator, "DELETE", path("000000000000a2", "?force=true"));
    expect(res.status).toBe(200);
    await emulator.idle();
    expect(emulator.machine(APP, "000000000000a2").state).toBe("destroyed");
  });

  it("notes in the request log an update whose config came from incomplete_config", async () => {
    const emulator = await start({ scenario: mixed() });
    const id = "000000000000a2";
    const incomplete = (await call<MachineJson>(emulator, "GET", path(id))).body.incomplete_config;
    // The host comes back; a client that kept the incomplete config sends it as an update.
    emulator.setHostStatus(APP, id, "ok");
    const lease = await call<{ data: { nonce: string } }>(emulator, "POST", path(id, "/lease"));
    const res = await call<MachineJson>(emulator, "POST", path(id), {
      body: { config: { ...incomplete, image: `registry.fly.io/${APP}:1.1.0` } },
      headers: { [LEASE_NONCE_HEADER]: lease.body.data.nonce },
    });
    expect(res.status).toBe(200);
    const update = emulator.requestLog.find((e) => e.operation === "machines.update");
    expect(update?.notes).toEqual(["config_from_incomplete_config"]);
    // The stripped config is what the machine now runs: no services, no checks.
    expect(res.body.config?.services).toBeUndefined();
  });

  it("notes nothing for an update that sends the full config", async () => {
    const emulator = await start({ scenario: mixed() });
    const id = "000000000000a1";
    const config = (await call<MachineJson>(emulator, "GET", path(id))).body.config;
    await call(emulator, "POST", path(id), {
      body: { config: { ...config, image: `registry.fly.io/${APP}:1.1.0` } },
    });
    expect(
      emulator.requestLog.find((e) => e.operation === "machines.update")?.notes,
    ).toBeUndefined();
  });
});
