import { describe, expect, it } from "vitest";
import { type MachineJson, scenario } from "../src/index.js";
import { call, start, until } from "./helpers.js";

const APP = "coldapp";
const path = (id: string, suffix = "") => `/v1/apps/${APP}/machines/${id}${suffix}`;

/** Three app machines (started, stopped, suspended) and a standby worker, all on 1.0.0. */
function coldScenario() {
  return scenario(APP)
    .image("1.0.0")
    .image("1.1.0")
    .release({ image: "1.0.0" })
    .machine({ id: "0000000000a001", region: "ams", state: "started" })
    .machine({ id: "0000000000a002", region: "ams", state: "stopped" })
    .machine({ id: "0000000000a003", region: "iad", state: "suspended" })
    .processGroup("worker", { guest: { cpu_kind: "shared", cpus: 1, memory_mb: 512 } })
    .machine({ id: "0000000000b001", region: "ams", processGroup: "worker" })
    .machine({ id: "0000000000b002", region: "ams", processGroup: "worker", standby: true });
}

async function update(
  emulator: Awaited<ReturnType<typeof start>>,
  id: string,
  extra: Record<string, unknown> = {},
) {
  const before = (await call<MachineJson>(emulator, "GET", path(id))).body;
  return call<MachineJson>(emulator, "POST", path(id), {
    body: { config: { ...before.config, image: `registry.fly.io/${APP}:1.1.0` }, ...extra },
  });
}

describe("updating a machine that is not running", () => {
  it("starts a stopped machine when the update does not set skip_launch", async () => {
    const emulator = await start({ scenario: coldScenario() });
    const res = await update(emulator, "0000000000a002");
    expect(res.status).toBe(200);
    expect(res.body.state).toBe("replacing");
    await until(() => emulator.machine(APP, "0000000000a002").state === "started");
  });

  it("starts a suspended machine when the update does not set skip_launch", async () => {
    const emulator = await start({ scenario: coldScenario() });
    await update(emulator, "0000000000a003");
    await until(() => emulator.machine(APP, "0000000000a003").state === "started");
  });

  it("starts a standby machine when the update does not set skip_launch", async () => {
    const emulator = await start({ scenario: coldScenario() });
    const standby = emulator.machine(APP, "0000000000b002");
    expect(standby.state).toBe("stopped");
    expect(standby.config?.standbys).toEqual(["0000000000b001"]);
    expect(standby.config?.env?.FLY_STANDBY_FOR).toBe("0000000000b001");
    await update(emulator, "0000000000b002");
    await until(() => emulator.machine(APP, "0000000000b002").state === "started");
  });

  it("leaves a stopped machine stopped on the new version with skip_launch, and wait sees it", async () => {
    const emulator = await start({ scenario: coldScenario() });
    const res = await update(emulator, "0000000000a002", { skip_launch: true });
    expect(res.status).toBe(200);
    expect(res.body.state).toBe("stopped");
    expect(res.body.config?.image).toBe(`registry.fly.io/${APP}:1.1.0`);
    const version = res.body.instance_id;
    for (const state of ["stopped", "settled"]) {
      const wait = await call(
        emulator,
        "GET",
        path("0000000000a002", `/wait?state=${state}&version=${version}&timeout=2`),
      );
      expect(wait.status).toBe(200);
    }
    await emulator.idle();
    expect(emulator.machine(APP, "0000000000a002").state).toBe("stopped");
  });

  it("leaves a suspended machine suspended on the new version with skip_launch", async () => {
    const emulator = await start({ scenario: coldScenario() });
    const res = await update(emulator, "0000000000a003", { skip_launch: true });
    expect(res.body.state).toBe("suspended");
    const wait = await call(
      emulator,
      "GET",
      path("0000000000a003", `/wait?state=suspended&version=${res.body.instance_id}&timeout=2`),
    );
    expect(wait.status).toBe(200);
    await emulator.idle();
    expect(emulator.machine(APP, "0000000000a003")).toMatchObject({
      state: "suspended",
      instance_id: res.body.instance_id,
    });
  });

  it("resumes a suspended machine faster than it cold-starts a stopped one", async () => {
    const emulator = await start({ scenario: coldScenario(), bootTimeMs: 300 });
    const began = Date.now();
    await call(emulator, "POST", path("0000000000a003", "/start"));
    await call(emulator, "GET", path("0000000000a003", "/wait?state=started&timeout=5"));
    const resumed = Date.now() - began;
    const coldBegan = Date.now();
    await call(emulator, "POST", path("0000000000a002", "/start"));
    await call(emulator, "GET", path("0000000000a002", "/wait?state=started&timeout=5"));
    expect(Date.now() - coldBegan).toBeGreaterThan(resumed);
  });
});

describe("stopping a machine that is not running", () => {
  it("answers 409 as the docs' Stop example does, and leaves it as it was", async () => {
    const emulator = await start({ scenario: coldScenario() });
    for (const id of ["0000000000a002", "0000000000a003"]) {
      const before = emulator.machine(APP, id).state;
      const res = await call<{ error: string }>(emulator, "POST", path(id, "/stop"));
      expect(res.status).toBe(409);
      expect(res.body.error).toBe("unable to stop machine, not currently started");
      expect(emulator.machine(APP, id).state).toBe(before);
    }
  });
});
