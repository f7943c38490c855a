import { describe, expect, it } from "vitest";
import { type MachineJson, scenario } from "../src/index.js";
import { call, start, until } from "./helpers.js";

const APP = "checkapp";
const ID = "00000000000c01";
const path = (suffix = "") => `/v1/apps/${APP}/machines/${ID}${suffix}`;

/** An app whose only checks are `[[http_service.checks]]` (service-level, no top-level config.checks). */
function serviceChecksOnly(knobs: Parameters<ReturnType<typeof scenario>["appSettings"]>[0] = {}) {
  return scenario(APP)
    .image("1.0.0")
    .image("1.1.0")
    .release({ image: "1.0.0" })
    .processGroup("app", {
      services: [
        {
          protocol: "tcp",
          internal_port: 8080,
          ports: [
            { port: 80, handlers: ["http"] },
            { port: 443, handlers: ["tls", "http"] },
          ],
          checks: [
            { type: "http", method: "GET", path: "/healthz", interval: "10s", timeout: "2s" },
            { type: "tcp", interval: "15s", timeout: "2s" },
          ],
        },
      ],
    })
    .appSettings(knobs)
    .machine({ id: ID, region: "ams" });
}

async function updateTo110(emulator: Awaited<ReturnType<typeof start>>) {
  const before = (await call<MachineJson>(emulator, "GET", path())).body;
  await call(emulator, "POST", path(), {
    body: { config: { ...before.config, image: `registry.fly.io/${APP}:1.1.0` } },
  });
  await call(emulator, "GET", path("/wait?state=started&timeout=5"));
}

const checksOf = async (emulator: Awaited<ReturnType<typeof start>>) =>
  (await call<MachineJson>(emulator, "GET", path())).body.checks ?? [];

describe("health checks", () => {
  it("reports every service check under its runtime name, with no top-level checks", async () => {
    const emulator = await start({ scenario: serviceChecksOnly() });
    const machine = (await call<MachineJson>(emulator, "GET", path())).body;
    expect(machine.config?.checks).toBeUndefined();
    expect(machine.checks?.map((c) => [c.name, c.status])).toEqual([
      ["servicecheck-00-http-8080", "passing"],
      ["servicecheck-01-tcp-8080", "passing"],
    ]);
  });

  it("reports no results right after start, and all of them only after the check delay", async () => {
    const emulator = await start({ scenario: serviceChecksOnly(), checkDelayMs: 300 });
    await updateTo110(emulator);
    expect(emulator.machine(APP, ID).state).toBe("started");
    expect(await checksOf(emulator)).toEqual([]);
    await until(async () => (await checksOf(emulator)).length > 0, 5_000);
    expect((await checksOf(emulator)).map((c) => c.status)).toEqual(["passing", "passing"]);
  });

  it("takes the check delay from the app when the scenario sets one", async () => {
    const emulator = await start({
      scenario: serviceChecksOnly({ checkDelayMs: 400 }),
      checkDelayMs: 5,
    });
    await updateTo110(emulator);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await checksOf(emulator)).toEqual([]);
    await until(async () => (await checksOf(emulator)).length === 2, 5_000);
  });

  it("reports the checks one at a time when the app staggers them", async () => {
    const emulator = await start({
      scenario: serviceChecksOnly({ checkDelayMs: 20, checkStaggerMs: 400 }),
    });
    await updateTo110(emulator);
    await until(async () => (await checksOf(emulator)).length === 1, 5_000);
    expect((await checksOf(emulator)).map((c) => c.name)).toEqual(["servicecheck-00-http-8080"]);
    await until(async () => (await checksOf(emulator)).length === 2, 5_000);
  });

  it("inserts flaps' compat checks, passing before any real check has run", async () => {
    const emulator = await start({
      scenario: serviceChecksOnly({ compatChecks: true }),
      checkDelayMs: 300,
    });
    await updateTo110(emulator);
    expect(await checksOf(emulator)).toEqual([
      expect.objectContaining({ name: "bg_deployments_compat", status: "passing" }),
    ]);
    await until(async () => (await checksOf(emulator)).length === 3, 5_000);
    const listed = await call<MachineJson[]>(emulator, "GET", `/v1/apps/${APP}/machines`);
    expect(listed.body[0]?.checks?.[0]?.name).toBe("bg_deployments_compat");
  });

  it("gives compat checks the configured names and status, and none to a stopped machine", async () => {
    const emulator = await start({
      scenario: serviceChecksOnly({
        compatChecks: { names: ["bg_deployments_compat_http"], status: "warning" },
      }),
    });
    expect((await checksOf(emulator))[0]).toMatchObject({
      name: "bg_deployments_compat_http",
      status: "warning",
    });
    await call(emulator, "POST", path("/stop"));
    await emulator.idle();
    expect(await checksOf(emulator)).toEqual([]);
  });
});
