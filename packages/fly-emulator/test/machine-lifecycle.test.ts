import { describe, expect, it } from "vitest";
import {
  LEASE_NONCE_HEADER,
  type MachineEventJson,
  type MachineJson,
  scenario,
} from "../src/index.js";
import { call, start, until } from "./helpers.js";

const APP = "life";
const base = `/v1/apps/${APP}/machines`;

function life() {
  return scenario(APP)
    .image("1.0.0")
    .image("1.1.0", { releaseCommandFails: true })
    .image("1.2.0", { releaseCommandFails: 3 })
    .release({ image: "1.0.0" })
    .appSettings({ primaryRegion: "iad" })
    .machine({ id: "00000000000f01", region: "ams" });
}

/** The config flyctl's `ToReleaseMachineConfig` builds for `deploy.release_command`. */
const releaseCommandConfig = (version: string) => ({
  image: `registry.fly.io/${APP}:${version}`,
  init: { cmd: ["bin/migrate"] },
  restart: { policy: "no" },
  auto_destroy: true,
  dns: { skip_registration: true },
  env: { RELEASE_COMMAND: "1", FLY_PROCESS_GROUP: "fly_app_release_command" },
  metadata: { fly_platform_version: "v2", fly_process_group: "fly_app_release_command" },
});

async function runReleaseCommand(emulator: Awaited<ReturnType<typeof start>>, version: string) {
  const created = await call<MachineJson>(emulator, "POST", base, {
    body: { config: releaseCommandConfig(version), region: "ams", skip_launch: true },
  });
  expect(created.status).toBe(200);
  const id = created.body.id;
  expect((await call(emulator, "GET", `${base}/${id}/wait?state=stopped&timeout=5`)).status).toBe(
    200,
  );
  await call(emulator, "POST", `${base}/${id}/start`);
  const started = await call(emulator, "GET", `${base}/${id}/wait?state=started&timeout=5`);
  expect([200, 404]).toContain(started.status);
  expect((await call(emulator, "GET", `${base}/${id}/wait?state=destroyed&timeout=5`)).status).toBe(
    200,
  );
  const machine = (await call<MachineJson>(emulator, "GET", `${base}/${id}`)).body;
  return { id, machine, exit: machine.events?.find((e: MachineEventJson) => e.type === "exit") };
}

describe("machine create and destroy", () => {
  it("creates a machine that is created, then boots to started", async () => {
    const emulator = await start({ scenario: life() });
    const res = await call<MachineJson>(emulator, "POST", base, {
      body: {
        config: { image: `registry.fly.io/${APP}:1.0.0`, metadata: { role: "extra" } },
        name: "extra-one",
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: "created", name: "extra-one", region: "iad" });
    // Fly adds no Fly Launch metadata of its own: a machine made this way is unmanaged.
    expect(res.body.config?.metadata).toEqual({ role: "extra" });
    const wait = await call(emulator, "GET", `${base}/${res.body.id}/wait?state=started&timeout=5`);
    expect(wait.status).toBe(200);
    expect(emulator.machineEvents(APP, res.body.id).map((e) => e.type)).toEqual([
      "start",
      "launch",
    ]);
  });

  it("creates with skip_launch, then settles in stopped; lease_ttl returns a nonce", async () => {
    const emulator = await start({ scenario: life() });
    const res = await call<MachineJson>(emulator, "POST", base, {
      body: { config: { image: `registry.fly.io/${APP}:1.0.0` }, skip_launch: true, lease_ttl: 30 },
    });
    expect(res.body.state).toBe("created");
    expect(res.body.nonce).toMatch(/^[0-9a-f]+$/);
    expect(emulator.leases(APP).map((l) => l.machineId)).toEqual([res.body.id]);
    await emulator.idle();
    expect(emulator.machine(APP, res.body.id).state).toBe("stopped");
  });

  it("refuses a create without an image, with an unknown image, or with a taken name", async () => {
    const emulator = await start({ scenario: life() });
    const existing = emulator.machine(APP, "00000000000f01").name;
    const answers = [
      await call(emulator, "POST", base, { body: { config: {} } }),
      await call(emulator, "POST", base, {
        body: { config: { image: `registry.fly.io/${APP}:9.9.9` } },
      }),
      await call(emulator, "POST", base, {
        body: { config: { image: `registry.fly.io/${APP}:1.0.0` }, name: existing },
      }),
      await call(emulator, "POST", base, {
        body: { config: { image: `registry.fly.io/${APP}:1.0.0` }, skip_launch: "yes" },
      }),
    ];
    expect(answers.map((a) => a.status)).toEqual([400, 400, 422, 400]);
    expect(emulator.machines(APP)).toHaveLength(1);
  });

  it("refuses to destroy a running machine without force, then destroys it with force", async () => {
    const emulator = await start({ scenario: life() });
    const id = "00000000000f01";
    const refused = await call<{ error: string }>(emulator, "DELETE", `${base}/${id}`);
    expect(refused.status).toBe(412);
    expect(emulator.machine(APP, id).state).toBe("started");
    const forced = await call(emulator, "DELETE", `${base}/${id}?force=true`);
    expect(forced.status).toBe(200);
    await emulator.idle();
    expect(emulator.machine(APP, id).state).toBe("destroyed");
    const listed = await call<MachineJson[]>(emulator, "GET", base);
    expect(listed.body).toEqual([]);
    expect((await call(emulator, "POST", `${base}/${id}/start`)).status).toBe(404);
  });

  it("destroys a stopped machine without force", async () => {
    const emulator = await start({ scenario: life() });
    const id = "00000000000f01";
    await call(emulator, "POST", `${base}/${id}/stop`);
    await emulator.idle();
    expect((await call(emulator, "DELETE", `${base}/${id}`)).status).toBe(200);
    await emulator.idle();
    expect(emulator.machine(APP, id).state).toBe("destroyed");
  });
});

describe("release command machines", () => {
  it("runs the command, exits 0 and destroys itself (auto_destroy)", async () => {
    const emulator = await start({ scenario: life(), bootTimeMs: 20, runTimeMs: 40 });
    const { machine, exit } = await runReleaseCommand(emulator, "1.0.0");
    expect(machine.state).toBe("destroyed");
    expect(exit?.request?.exit_event).toMatchObject({
      exit_code: 0,
      requested_stop: false,
      restarting: false,
    });
  });

  it("exits non-zero when the image's release command fails", async () => {
    const emulator = await start({ scenario: life(), bootTimeMs: 20, runTimeMs: 40 });
    expect((await runReleaseCommand(emulator, "1.1.0")).exit?.request?.exit_event?.exit_code).toBe(
      1,
    );
    expect((await runReleaseCommand(emulator, "1.2.0")).exit?.request?.exit_event?.exit_code).toBe(
      3,
    );
  });

  it("stays stopped after the exit when auto_destroy is off", async () => {
    const emulator = await start({ scenario: life(), bootTimeMs: 20, runTimeMs: 20 });
    const res = await call<MachineJson>(emulator, "POST", base, {
      body: { config: { ...releaseCommandConfig("1.0.0"), auto_destroy: false } },
    });
    await until(() => emulator.machine(APP, res.body.id).state === "stopped", 5_000);
    await emulator.idle();
    expect(emulator.machine(APP, res.body.id).state).toBe("stopped");
  });

  it("answers 404 to a wait for started once the machine is destroyed", async () => {
    const emulator = await start({ scenario: life(), bootTimeMs: 20, runTimeMs: 20 });
    const res = await call<MachineJson>(emulator, "POST", base, {
      body: { config: releaseCommandConfig("1.0.0") },
    });
    await call(emulator, "GET", `${base}/${res.body.id}/wait?state=destroyed&timeout=5`);
    expect(
      (await call(emulator, "GET", `${base}/${res.body.id}/wait?state=started&timeout=1`)).status,
    ).toBe(404);
  });
});

describe("suspend, cordon and uncordon", () => {
  it("suspends a started machine and refuses to suspend a stopped one", async () => {
    const emulator = await start({ scenario: life() });
    const id = "00000000000f01";
    expect((await call(emulator, "POST", `${base}/${id}/suspend`)).status).toBe(200);
    await emulator.idle();
    expect(emulator.machine(APP, id).state).toBe("suspended");
    expect((await call(emulator, "POST", `${base}/${id}/suspend`)).status).toBe(409);
  });

  it("refuses to suspend a machine over 2 GB of memory with a 400, leaving it started", async () => {
    const emulator = await start({ scenario: life() });
    const id = "00000000000f01";
    const updated = await call(emulator, "POST", `${base}/${id}`, {
      body: { config: { image: `registry.fly.io/${APP}:1.0.0`, guest: { memory_mb: 4096 } } },
    });
    expect(updated.status).toBe(200);
    await until(() => emulator.machine(APP, id).state === "started");
    const refused = await call<{ error: string }>(emulator, "POST", `${base}/${id}/suspend`);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toContain("4096 MB");
    expect(emulator.machine(APP, id).state).toBe("started");
  });

  it("resumes a suspended machine on start, on the same version", async () => {
    const emulator = await start({ scenario: life() });
    const id = "00000000000f01";
    const version = emulator.machine(APP, id).instance_id;
    await call(emulator, "POST", `${base}/${id}/suspend`);
    await until(() => emulator.machine(APP, id).state === "suspended");
    const started = await call<{ previous_state: string }>(emulator, "POST", `${base}/${id}/start`);
    expect(started.body.previous_state).toBe("suspended");
    await until(() => emulator.machine(APP, id).state === "started");
    expect(emulator.machine(APP, id).instance_id).toBe(version);
  });

  it("cordons and uncordons, needing the nonce while leased", async () => {
    const emulator = await start({ scenario: life() });
    const id = "00000000000f01";
    expect((await call(emulator, "POST", `${base}/${id}/cordon`)).status).toBe(200);
    expect(emulator.machine(APP, id).cordoned).toBe(true);
    const lease = await call<{ data: { nonce: string } }>(emulator, "POST", `${base}/${id}/lease`);
    expect((await call(emulator, "POST", `${base}/${id}/uncordon`)).status).toBe(409);
    const ok = await call(emulator, "POST", `${base}/${id}/uncordon`, {
      headers: { [LEASE_NONCE_HEADER]: lease.body.data.nonce },
    });
    expect(ok.status).toBe(200);
    expect(emulator.machine(APP, id).cordoned).toBe(false);
  });
});

describe("skip_service_registration", () => {
  it("creates the machine cordoned, so the proxy sends it nothing until it is uncordoned", async () => {
    const emulator = await start({ scenario: life() });
    await call(emulator, "POST", `${base}/00000000000f01/cordon`);
    const created = await call<MachineJson>(emulator, "POST", base, {
      body: { config: { image: `registry.fly.io/${APP}:1.0.0` }, skip_service_registration: true },
    });
    expect(created.status).toBe(200);
    await until(() => emulator.machine(APP, created.body.id).state === "started");
    expect(emulator.machine(APP, created.body.id).cordoned).toBe(true);
    // Every started machine is cordoned: nothing in the proxy's balancing.
    expect((await fetch(emulator.appUrl(APP, "/"))).status).toBe(503);
    await call(emulator, "POST", `${base}/${created.body.id}/uncordon`);
    expect((await fetch(emulator.appUrl(APP, "/"))).status).toBe(200);
  });
});
