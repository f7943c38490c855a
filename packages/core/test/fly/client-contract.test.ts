/** The client against the emulator over real HTTP: Fly's wire format, status codes and faults. */
import { type Emulator, scenario, startEmulator } from "@semfly/fly-emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createFlyClient,
  type FlyClient,
  type FlyClientOptions,
  resolveEndpoints,
} from "../../src/index.js";
import { caught } from "./mock-fly.js";

const APP = "acme-web";
let emulator: Emulator;
let client: FlyClient;
let debugLines: string[];

function clientFor(options: Partial<FlyClientOptions> = {}): FlyClient {
  // Endpoints go through the same env resolution the CLI uses.
  const endpoints = resolveEndpoints({ ...emulator.env });
  return createFlyClient({
    token: emulator.token,
    ...endpoints,
    retry: { retries: 3, minDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 50 },
    debug: (line) => debugLines.push(line),
    ...options,
  });
}

beforeAll(async () => {
  const world = scenario(APP, { token: "fm2_contract_token_acme" })
    .image("1.0.0")
    .image("1.1.0")
    .image("1.2.0")
    .release({ image: "1.0.0" })
    .release({ image: "1.1.0", metadata: { semfly: { version: "1.1.0" } } })
    .release({ reason: "scale" })
    .release({ image: "1.2.0" })
    .machines(3, { regions: ["ams", "iad"] })
    .machines(1, { processGroup: "worker" });
  emulator = await startEmulator({ scenario: world, bootTimeMs: 50, checkDelayMs: 20 });
});

afterAll(async () => {
  await emulator?.close();
});

afterEach(() => {
  emulator.setFaults({});
  emulator.setRateLimits(true);
});

function fresh() {
  debugLines = [];
  client = clientFor();
  return client;
}

describe("releases and images", () => {
  it("pages through every release, newest first, with metadata", async () => {
    fresh();
    const first = await client.releasesPage(APP, { first: 2 });
    expect(first).toMatchObject({ hasNextPage: true, totalCount: 4 });
    expect(first.releases.map((r) => r.version)).toEqual([4, 3]);
    const all: number[] = [];
    for await (const page of client.allReleases(APP, { pageSize: 3 }))
      all.push(...page.releases.map((r) => r.version));
    expect(all).toEqual([4, 3, 2, 1]);
    const v2 = (await client.releasesPage(APP, { first: 10 })).releases.find(
      (r) => r.version === 2,
    );
    expect(v2).toMatchObject({
      metadata: { semfly: { version: "1.1.0" } },
      imageRef: "registry.fly.io/acme-web:1.1.0",
    });
    expect(v2?.imageDigest).toMatch(/^sha256:/);
  });

  it("reads the current release", async () => {
    fresh();
    expect(await client.currentRelease(APP)).toMatchObject({ version: 4, status: "complete" });
  });

  it("resolves an image with its OCI labels, and null once pruned", async () => {
    fresh();
    const image = await client.resolveImage(APP, "registry.fly.io/acme-web:1.1.0");
    expect(image).toMatchObject({
      ref: "registry.fly.io/acme-web:1.1.0",
      registry: "registry.fly.io",
      repository: "acme-web",
      tag: "1.1.0",
      labels: { "org.opencontainers.image.version": "1.1.0" },
    });
    emulator.removeImage(APP, "registry.fly.io/acme-web:1.0.0");
    expect(await client.resolveImage(APP, "registry.fly.io/acme-web:1.0.0")).toBeNull();
  });

  it("reports an unknown app as APP_NOT_FOUND over GraphQL and the Machines API", async () => {
    fresh();
    expect(await caught(client.releasesPage("no-such-app", { first: 5 }))).toMatchObject({
      code: "APP_NOT_FOUND",
      kind: "input",
      flyCode: "NOT_FOUND",
    });
    expect(await caught(client.listMachines("no-such-app"))).toMatchObject({
      code: "APP_NOT_FOUND",
      status: 404,
    });
  });

  it("reports a bad token as UNAUTHORIZED (401) on every service, without leaking it", async () => {
    const bad = clientFor({ token: "fm2_wrong_token_value" });
    debugLines = [];
    const errors = [
      await caught(bad.currentRelease(APP)),
      await caught(bad.listMachines(APP)),
      await caught(
        bad.createRelease({ app: APP, image: "x", strategy: "rolling", definition: { app: APP } }),
      ),
    ];
    for (const error of errors) {
      expect(error).toMatchObject({ code: "UNAUTHORIZED", kind: "input", status: 401 });
      expect(error.requestId).toBeTruthy();
    }
    expect(
      [...errors.map((e) => `${e.message} ${e.suggestion}`), ...debugLines].join("\n"),
    ).not.toContain("wrong_token");
  });

  it("creates a release and moves it through running to complete; a finished release refuses changes", async () => {
    fresh();
    const created = await client.createRelease({
      app: APP,
      image: "registry.fly.io/acme-web:1.1.0",
      strategy: "immediate",
      definition: { app: APP },
    });
    expect(created).toMatchObject({ version: 5, status: "pending" });
    expect(await client.updateRelease(created.id, { status: "running" })).toMatchObject({
      status: "running",
    });
    const done = await client.updateRelease(created.id, {
      status: "complete",
      metadata: { semfly: { rollback: true } },
    });
    expect(done).toMatchObject({ id: created.id, version: 5, status: "complete" });
    expect(emulator.releases(APP).at(-1)?.metadata).toEqual({ semfly: { rollback: true } });
    expect(await caught(client.updateRelease(created.id, { status: "failed" }))).toMatchObject({
      code: "RELEASE_FINISHED",
      status: 422,
    });
  });
});

describe("machines", () => {
  it("lists machines with their process groups, following cursor pages", async () => {
    fresh();
    const machines = await client.listMachines(APP, { pageSize: 2 });
    expect(machines).toHaveLength(4);
    expect(machines.map((m) => m.processGroup).sort()).toEqual(["app", "app", "app", "worker"]);
    expect(machines[0]?.image).toMatch(/^registry\.fly\.io\/acme-web:/);
    const lists = emulator.requestLog.filter((e) => e.operation === "machines.list");
    expect(lists.at(-1)?.query).toContain("cursor=");
  });

  it("leases, updates, waits for, and releases a machine; the update is not repeated", async () => {
    fresh();
    const [machine] = await client.listMachines(APP);
    const id = machine!.id;
    const lease = await client.acquireLease(APP, id, {
      ttlSeconds: 30,
      description: "semfly contract test",
    });
    expect(lease.nonce).toBeTruthy();
    await client.refreshLease(APP, id, lease.nonce, 60);
    const config = { ...machine!.config, image: "registry.fly.io/acme-web:1.1.0" };
    emulator.clearRequestLog();
    const updated = await client.updateMachine(APP, id, {
      config,
      nonce: lease.nonce,
      currentVersion: machine!.instanceId,
    });
    expect(
      emulator.mutatingRequests().filter((e) => e.operation === "machines.update"),
    ).toHaveLength(1);
    expect(updated.image).toBe("registry.fly.io/acme-web:1.1.0");
    await client.waitForState(APP, id, {
      state: "started",
      timeoutSeconds: 10,
      version: updated.instanceId,
    });
    expect((await client.getMachine(APP, id)).state).toBe("started");
    const versions = await client.listMachineVersions(APP, id);
    expect(versions.map((v) => v.config.image)).toContain("registry.fly.io/acme-web:1.1.0");
    expect((await client.getMachine(APP, id, { version: machine!.instanceId })).image).toBe(
      machine!.image,
    );
    await client.setMachineMetadata(APP, id, "semfly_version", "1.1.0", { nonce: lease.nonce });
    expect(await client.getMachineMetadata(APP, id)).toMatchObject({ semfly_version: "1.1.0" });
    await client.releaseLease(APP, id, lease.nonce);
    expect(emulator.leases(APP)).toHaveLength(0);
  });

  it("refuses a stale current version with a conflict", async () => {
    fresh();
    const [machine] = await client.listMachines(APP);
    const error = await caught(
      client.updateMachine(APP, machine!.id, {
        config: machine!.config,
        currentVersion: "01STALEVERSION0000000000000",
      }),
    );
    expect(error).toMatchObject({ code: "CONFLICT", status: 409, operation: "update a machine" });
  });

  it("reports someone else's lease as LEASE_CONFLICT naming the holder, on acquire and on update", async () => {
    fresh();
    const [, machine] = await client.listMachines(APP);
    const id = machine!.id;
    emulator.holdLease(APP, id, { owner: "other-deployer@acme.test" });
    try {
      const onAcquire = await caught(
        client.acquireLease(APP, id, { ttlSeconds: 30, description: "x" }),
      );
      expect(onAcquire).toMatchObject({ code: "LEASE_CONFLICT", status: 409, kind: "api" });
      expect(onAcquire.message).toContain("other-deployer@acme.test");
      const onUpdate = await caught(client.updateMachine(APP, id, { config: machine!.config }));
      expect(onUpdate).toMatchObject({
        code: "LEASE_CONFLICT",
        status: 409,
        operation: "update a machine",
      });
      expect(onUpdate.message).toContain("other-deployer@acme.test");
    } finally {
      emulator.releaseLease(APP, id);
    }
  });

  it("starts a stopped machine and waits for it", async () => {
    fresh();
    const [, , machine] = await client.listMachines(APP);
    emulator.setMachineState(APP, machine!.id, "stopped");
    await client.startMachine(APP, machine!.id);
    expect(
      await client.waitForState(APP, machine!.id, { state: ["started"], timeoutSeconds: 10 }),
    ).toEqual({
      state: "started",
    });
  });

  it("gives up waiting with WAIT_TIMEOUT when the machine never gets there", async () => {
    fresh();
    const [, , , machine] = await client.listMachines(APP);
    const error = await caught(
      client.waitForState(APP, machine!.id, { state: "stopped", timeoutSeconds: 1 }),
    );
    expect(error).toMatchObject({ code: "WAIT_TIMEOUT" });
  });

  it("reports an unknown machine as MACHINE_NOT_FOUND", async () => {
    fresh();
    expect(await caught(client.getMachine(APP, "0000000000dead"))).toMatchObject({
      code: "MACHINE_NOT_FOUND",
      status: 404,
    });
  });
});

describe("faults", () => {
  it.each([429, 502, 503, 504] as const)("rides out an injected %i on reads", async (status) => {
    fresh();
    emulator.setFaults({
      rules: [
        {
          operation: "machines.list",
          action: { type: "status", status, retryAfterSeconds: 0 },
          times: 2,
        },
      ],
    });
    expect(await client.listMachines(APP)).toHaveLength(4);
    expect(debugLines.filter((l) => l.startsWith("retrying list machines"))).toHaveLength(2);
  });

  it("rides out injected GraphQL 503s", async () => {
    fresh();
    emulator.setFaults({
      rules: [{ service: "graphql", action: { type: "status", status: 503 }, times: 1 }],
    });
    expect((await client.currentRelease(APP))?.version).toBeGreaterThan(0);
  });

  it("does not repeat a machine update answered with 500", async () => {
    fresh();
    const [machine] = await client.listMachines(APP);
    emulator.setFaults({
      rules: [{ operation: "machines.update", action: { type: "status", status: 500 } }],
    });
    emulator.clearRequestLog();
    const error = await caught(client.updateMachine(APP, machine!.id, { config: machine!.config }));
    expect(error).toMatchObject({
      code: "FLY_SERVER_ERROR",
      status: 500,
      operation: "update a machine",
    });
    expect(emulator.requestLog.filter((e) => e.operation === "machines.update")).toHaveLength(1);
  });

  it("retries a dropped connection on a read, but not on a release create", async () => {
    fresh();
    emulator.setFaults({
      rules: [{ operation: "machines.get", action: { type: "drop" }, times: 1 }],
    });
    const [machine] = await client.listMachines(APP);
    expect((await client.getMachine(APP, machine!.id)).id).toBe(machine!.id);
    emulator.setFaults({ rules: [{ operation: "releases.create", action: { type: "drop" } }] });
    emulator.clearRequestLog();
    const error = await caught(
      client.createRelease({
        app: APP,
        image: "registry.fly.io/acme-web:1.1.0",
        strategy: "rolling",
        definition: { app: APP },
      }),
    );
    expect(error).toMatchObject({ code: "NETWORK_ERROR", operation: "create a release" });
    expect(emulator.requestLog.filter((e) => e.operation === "releases.create")).toHaveLength(1);
  });

  it("reports a request that outlives the timeout as TIMEOUT", async () => {
    debugLines = [];
    const impatient = clientFor({ timeoutMs: 100, retry: { retries: 0 } });
    emulator.setFaults({
      rules: [{ operation: "machines.list", action: { type: "delay", ms: 1_000 }, times: 1 }],
    });
    expect(await caught(impatient.listMachines(APP))).toMatchObject({
      code: "TIMEOUT",
      operation: "list machines",
    });
  });

  // Seconds of real token-bucket time, and sensitive to a starved event loop: not for the fast loop.
  it("stays under the emulator's Fly rate limits during a burst of calls on one machine", {
    tags: ["slow"],
  }, async () => {
    fresh();
    const [machine] = await client.listMachines(APP);
    emulator.clearRequestLog();
    const before = emulator.counters.rateLimited;
    await Promise.all([
      ...Array.from({ length: 14 }, () => client.getMachine(APP, machine!.id)),
      ...Array.from({ length: 5 }, (_, i) =>
        client.setMachineMetadata(APP, machine!.id, "semfly_probe", String(i)),
      ),
    ]);
    expect(emulator.counters.rateLimited - before).toBe(0);
    expect(emulator.requestLog.filter((e) => e.operation === "machines.get")).toHaveLength(14);
    expect(
      emulator.requestLog.filter((e) => e.operation === "machines.metadata.setKey"),
    ).toHaveLength(5);
  });
});
