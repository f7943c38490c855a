import { describe, expect, it } from "vitest";
import { call, DEMO_APP_MACHINE, gql, machinePath, start } from "./helpers.js";

async function statuses(seed: number): Promise<number[]> {
  const emulator = await start({
    seed,
    faults: {
      rules: [{ service: "machines", probability: 0.5, action: { type: "status", status: 503 } }],
    },
  });
  const out: number[] = [];
  for (let i = 0; i < 20; i++)
    out.push((await call(emulator, "GET", machinePath(DEMO_APP_MACHINE))).status);
  await emulator.close();
  return out;
}

describe("fault injection", () => {
  it("draws faults from the seed: the same seed fails the same requests", async () => {
    const first = await statuses(42);
    const second = await statuses(42);
    expect(first).toEqual(second);
    expect(first).toContain(503);
    expect(first).toContain(200);
    expect(await statuses(7)).not.toEqual(first);
  });

  it("exposes the seed it used", async () => {
    const emulator = await start({ seed: 99 });
    expect(emulator.seed).toBe(99);
    const fromScenario = await start();
    expect(fromScenario.seed).toBe(20250611);
  });

  it("drops connections without an answer", async () => {
    const emulator = await start({
      faults: { rules: [{ operation: "machines.update", action: { type: "drop" } }] },
    });
    await expect(
      fetch(`${emulator.url}${machinePath(DEMO_APP_MACHINE)}`, {
        method: "POST",
        headers: { authorization: `FlyV1 ${emulator.token}` },
        body: JSON.stringify({ config: { image: "registry.fly.io/acme-web:3.1.10" } }),
      }),
    ).rejects.toThrow();
    expect(emulator.counters.dropped).toBe(1);
    expect(emulator.requestLog.at(-1)).toMatchObject({
      operation: "machines.update",
      status: 0,
      fault: "drop",
    });
    // Nothing changed: the request never reached the handler.
    expect(emulator.machineVersions("acme-web", DEMO_APP_MACHINE)).toHaveLength(4);
  });

  it("injects 429 with Retry-After, a limited number of times", async () => {
    const emulator = await start({
      faults: {
        rules: [
          {
            operation: "machines.*",
            times: 2,
            action: { type: "status", status: 429, retryAfterSeconds: 3 },
          },
        ],
      },
    });
    const first = await call(emulator, "GET", machinePath(DEMO_APP_MACHINE));
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("3");
    expect((await call(emulator, "GET", machinePath(DEMO_APP_MACHINE))).status).toBe(429);
    expect((await call(emulator, "GET", machinePath(DEMO_APP_MACHINE))).status).toBe(200);
    expect(emulator.counters.rateLimited).toBe(2);
  });

  it("fails GraphQL operations by name and changes faults at run time", async () => {
    const emulator = await start();
    emulator.setFaults({
      rules: [
        { service: "graphql", operation: "Releases", action: { type: "status", status: 502 } },
      ],
    });
    const failing = await gql(emulator, 'query Releases { app(name: "acme-web") { name } }');
    expect(failing.status).toBe(502);
    expect((await gql(emulator, 'query Other { app(name: "acme-web") { name } }')).status).toBe(
      200,
    );
    emulator.setFaults({});
    expect((await gql(emulator, 'query Releases { app(name: "acme-web") { name } }')).status).toBe(
      200,
    );
  });

  it("adds latency and slow responses", async () => {
    const emulator = await start({
      latencyMs: 60,
      faults: { rules: [{ operation: "machines.versions", action: { type: "delay", ms: 100 } }] },
    });
    let began = Date.now();
    await call(emulator, "GET", machinePath(DEMO_APP_MACHINE));
    expect(Date.now() - began).toBeGreaterThanOrEqual(55);
    began = Date.now();
    const slow = await call(emulator, "GET", machinePath(DEMO_APP_MACHINE, "/versions"));
    expect(slow.status).toBe(200);
    expect(Date.now() - began).toBeGreaterThanOrEqual(150);
  });

  it("holds a lease for someone else from the scenario", async () => {
    const emulator = await start();
    emulator.holdLease("acme-web", DEMO_APP_MACHINE, { owner: "ci@acme.test", ttlSeconds: 600 });
    expect(emulator.leases("acme-web")).toEqual([
      expect.objectContaining({ machineId: DEMO_APP_MACHINE, owner: "ci@acme.test" }),
    ]);
    expect(
      (await call(emulator, "POST", machinePath(DEMO_APP_MACHINE, "/lease"), { body: { ttl: 10 } }))
        .status,
    ).toBe(409);
  });
});

describe("state faults", () => {
  it("marks images bad, never-starting, and leases held from the start options", async () => {
    const emulator = await start({
      faults: {
        badImages: ["registry.fly.io/acme-web:3.1.10"],
        neverStartImages: [{ ref: "registry.fly.io/acme-web:3.1.9", mode: "hang" }],
        heldLeases: [{ app: "acme-web", machineId: DEMO_APP_MACHINE, owner: "ci@acme.test" }],
      },
    });
    expect(emulator.images("acme-web").find((i) => i.tag === "3.1.10")?.bad).toBe(true);
    expect(emulator.images("acme-web").find((i) => i.tag === "3.1.9")?.neverStarts).toBe("hang");
    expect(emulator.leases()).toEqual([expect.objectContaining({ owner: "ci@acme.test" })]);
  });
});

describe("faults after handling", () => {
  it("applies an update, answers 502, and refuses the resend's stale current_version with 409", async () => {
    const emulator = await start({
      faults: {
        rules: [
          {
            operation: "machines.update",
            times: 1,
            action: { type: "status", status: 502, afterHandling: true },
          },
        ],
      },
    });
    const before = emulator.machineVersions("acme-web", DEMO_APP_MACHINE);
    const current = before.at(-1)?.version;
    const body = {
      config: { ...before.at(-1)?.config, image: "registry.fly.io/acme-web:v3.1.11" },
      current_version: current,
    };
    const first = await call(emulator, "POST", machinePath(DEMO_APP_MACHINE), { body });
    expect(first.status).toBe(502);
    expect(emulator.machineVersions("acme-web", DEMO_APP_MACHINE)).toHaveLength(before.length + 1);
    const resend = await call(emulator, "POST", machinePath(DEMO_APP_MACHINE), { body });
    expect(resend.status).toBe(409);
    expect(emulator.machine("acme-web", DEMO_APP_MACHINE).config?.image).toBe(
      "registry.fly.io/acme-web:v3.1.11",
    );
    expect(emulator.requestLog.map((r) => [r.operation, r.status, r.fault])).toEqual([
      ["machines.update", 502, "after:status:502"],
      ["machines.update", 409, undefined],
    ]);
  });

  it("applies an update and drops the connection", async () => {
    const emulator = await start({
      faults: {
        rules: [
          { operation: "machines.update", times: 1, action: { type: "drop", afterHandling: true } },
        ],
      },
    });
    const before = emulator.machineVersions("acme-web", DEMO_APP_MACHINE).length;
    await expect(
      call(emulator, "POST", machinePath(DEMO_APP_MACHINE), {
        body: { config: { image: "registry.fly.io/acme-web:v3.1.11" } },
      }),
    ).rejects.toThrow();
    expect(emulator.machineVersions("acme-web", DEMO_APP_MACHINE)).toHaveLength(before + 1);
    expect(emulator.requestLog[0]).toMatchObject({ status: 0, fault: "after:drop" });
    expect(emulator.counters.dropped).toBe(1);
  });
});
