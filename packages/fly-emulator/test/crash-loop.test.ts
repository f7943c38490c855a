import { describe, expect, it } from "vitest";
import { type MachineEventJson, type MachineJson, scenario } from "../src/index.js";
import { call, start, until } from "./helpers.js";

const APP = "crashy";
const ID = "00000000000e01";
const path = (suffix = "") => `/v1/apps/${APP}/machines/${ID}${suffix}`;

function crashy(restart?: Record<string, unknown>) {
  return scenario(APP)
    .image("1.0.0")
    .image("1.1.0", { crashLoop: true })
    .image("1.2.0", { crashLoop: 137 })
    .release({ image: "1.0.0" })
    .processGroup("app", {
      guest: { cpu_kind: "shared", cpus: 1, memory_mb: 256 },
      ...(restart ? { restart } : {}),
    })
    .machine({ id: ID, region: "ams" });
}

async function deploy(emulator: Awaited<ReturnType<typeof start>>, version: string) {
  const before = (await call<MachineJson>(emulator, "GET", path())).body;
  await call(emulator, "POST", path(), {
    body: { config: { ...before.config, image: `registry.fly.io/${APP}:${version}` } },
  });
  await call(emulator, "GET", path("/wait?state=started&timeout=5"));
}

const events = async (emulator: Awaited<ReturnType<typeof start>>) =>
  (await call<MachineEventJson[]>(emulator, "GET", path("/events"))).body;

/** flyctl's `isConstantlyRestarting`, over the newest exit event. */
function constantlyRestarting(list: MachineEventJson[]): boolean {
  const exit = list.find((e) => e.type === "exit");
  const request = exit?.request;
  return (
    !!request?.exit_event &&
    !request.exit_event.requested_stop &&
    request.exit_event.restarting &&
    (request.restart_count ?? 0) > 1 &&
    request.exit_event.exit_code !== 0
  );
}

describe("crash loops", () => {
  it("keeps a crashing machine started while its events record unrequested restarting exits", async () => {
    const emulator = await start({ scenario: crashy(), bootTimeMs: 20, crashAfterMs: 30 });
    await deploy(emulator, "1.1.0");
    await until(async () => constantlyRestarting(await events(emulator)), 5_000);
    expect(emulator.machine(APP, ID).state).toBe("started");
    const exits = (await events(emulator)).filter((e) => e.type === "exit");
    expect(exits.length).toBeGreaterThanOrEqual(2);
    expect(exits[0]).toMatchObject({
      status: "stopped",
      source: "flyd",
      request: { exit_event: { exit_code: 1, requested_stop: false, restarting: true } },
    });
    expect(exits[0]?.request?.restart_count).toBeGreaterThan(1);
    // The same events are in the machine itself, where flyctl reads them.
    const machine = (await call<MachineJson>(emulator, "GET", path())).body;
    expect(constantlyRestarting(machine.events ?? [])).toBe(true);
  });

  it("uses the image's exit code", async () => {
    const emulator = await start({ scenario: crashy(), bootTimeMs: 20, crashAfterMs: 20 });
    await deploy(emulator, "1.2.0");
    await until(async () => constantlyRestarting(await events(emulator)), 5_000);
    expect(
      (await events(emulator)).find((e) => e.type === "exit")?.request?.exit_event?.exit_code,
    ).toBe(137);
  });

  it("records launch and start events, and no crash, for a healthy image", async () => {
    const emulator = await start({ scenario: crashy(), bootTimeMs: 20, crashAfterMs: 20 });
    const initial = await events(emulator);
    expect(initial.map((e) => e.type)).toEqual(["start", "launch"]);
    await deploy(emulator, "1.0.0");
    await new Promise((resolve) => setTimeout(resolve, 150));
    const list = await events(emulator);
    expect(list.slice(0, 2).map((e) => [e.type, e.status, e.source])).toEqual([
      ["start", "started", "flyd"],
      ["update", "replacing", "user"],
    ]);
    expect(list.some((e) => e.type === "exit")).toBe(false);
    expect(constantlyRestarting(list)).toBe(false);
  });

  it("marks a requested stop as requested, which is not a crash", async () => {
    const emulator = await start({ scenario: crashy() });
    await call(emulator, "POST", path("/stop"));
    await emulator.idle();
    const exit = (await events(emulator)).find((e) => e.type === "exit");
    expect(exit?.request?.exit_event).toMatchObject({ exit_code: 0, requested_stop: true });
  });

  it("stops after restart.max_retries under on-failure", async () => {
    const emulator = await start({
      scenario: crashy({ policy: "on-failure", max_retries: 2 }),
      bootTimeMs: 20,
      crashAfterMs: 20,
    });
    await deploy(emulator, "1.1.0");
    await until(() => emulator.machine(APP, ID).state === "stopped", 5_000);
    const exits = (await events(emulator)).filter((e) => e.type === "exit");
    expect(exits[0]?.request?.exit_event).toMatchObject({ exit_code: 1, restarting: false });
    expect(exits).toHaveLength(3);
  });

  it("stops a crashing image for good under restart policy no", async () => {
    const emulator = await start({
      scenario: crashy({ policy: "no" }),
      bootTimeMs: 20,
      crashAfterMs: 20,
    });
    await deploy(emulator, "1.1.0");
    await until(() => emulator.machine(APP, ID).state === "stopped", 5_000);
    expect((await events(emulator)).filter((e) => e.type === "exit")).toHaveLength(1);
  });

  it("does not keep idle() waiting while a machine crash-loops", async () => {
    const emulator = await start({ scenario: crashy(), bootTimeMs: 20, crashAfterMs: 20 });
    await deploy(emulator, "1.1.0");
    await emulator.idle(2_000);
    expect(emulator.machine(APP, ID).state).toBe("started");
  });
});

describe("switching crash loops and failing release commands on at run time", () => {
  it("makes an image crash-loop from its next boot, by method or admin route", async () => {
    const emulator = await start({ scenario: crashy(), bootTimeMs: 20, crashAfterMs: 20 });
    const ref = `registry.fly.io/${APP}:1.0.0`;
    const admin = await call(emulator, "POST", "/__emulator/images", {
      body: { ref, crashLoop: 42 },
      auth: null,
    });
    expect(admin.status).toBe(200);
    await deploy(emulator, "1.0.0");
    await until(async () => constantlyRestarting(await events(emulator)), 5_000);
    expect(
      (await events(emulator)).find((e) => e.type === "exit")?.request?.exit_event?.exit_code,
    ).toBe(42);
    emulator.markImageCrashLoop(ref, false);
    await deploy(emulator, "1.0.0");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await events(emulator))[0]).toMatchObject({ type: "start", status: "started" });
  });

  it("makes release commands on an image fail", async () => {
    const emulator = await start({ scenario: crashy(), bootTimeMs: 20, runTimeMs: 20 });
    emulator.markReleaseCommandFails(`registry.fly.io/${APP}:1.0.0`, 2);
    const res = await call<MachineJson>(emulator, "POST", `/v1/apps/${APP}/machines`, {
      body: {
        config: {
          image: `registry.fly.io/${APP}:1.0.0`,
          restart: { policy: "no" },
          metadata: { fly_process_group: "fly_app_release_command" },
        },
      },
    });
    await until(() => emulator.machine(APP, res.body.id).state === "stopped", 5_000);
    const exit = emulator.machineEvents(APP, res.body.id).find((e) => e.type === "exit");
    expect(exit?.request?.exit_event?.exit_code).toBe(2);
  });
});
