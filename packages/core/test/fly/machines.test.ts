import { afterEach, describe, expect, it } from "vitest";
import { LEASE_NONCE_HEADER } from "../../src/index.js";
import { caught, JSON_HEADERS, type MockFly, machineWire, mockFly } from "./mock-fly.js";

let fly: MockFly | undefined;
afterEach(async () => {
  await fly?.agent.close();
  fly = undefined;
});

const base = "/v1/apps/my-app/machines";
const headersOf = (req: { headers?: unknown }) => req.headers as Record<string, string>;

describe("listing and reading machines", () => {
  it("maps Fly's machine to FlyMachine, keeping the config whole", async () => {
    fly = mockFly();
    fly.flaps
      .intercept({ path: base, method: "GET" })
      .reply(200, [machineWire("m1")], { headers: JSON_HEADERS });
    const [machine] = await fly.client.listMachines("my-app");
    expect(machine).toEqual({
      id: "m1",
      name: "machine-m1",
      region: "cdg",
      state: "started",
      processGroup: "web",
      instanceId: "01HVM1",
      image: "registry.fly.io/my-app:v1.2.3",
      imageRef: {
        registry: "registry.fly.io",
        repository: "my-app",
        tag: "v1.2.3",
        digest: "sha256:abc",
        labels: { "fly.version": "1.2.3" },
      },
      metadata: { fly_process_group: "web", fly_release_version: "7" },
      checks: [
        { name: "http", status: "passing", output: "OK", updatedAt: "2025-01-02T00:00:01Z" },
      ],
      config: {
        image: "registry.fly.io/my-app:v1.2.3",
        guest: { cpu_kind: "shared", cpus: 1, memory_mb: 256 },
        metadata: { fly_process_group: "web", fly_release_version: "7" },
      },
      updatedAt: "2025-01-02T00:00:00Z",
    });
  });

  it("falls back to the legacy process_group key, then to app", async () => {
    fly = mockFly();
    const legacy = machineWire("m1", {
      config: { image: "i", metadata: { process_group: "worker" } },
    });
    const bare = machineWire("m2", {
      config: { image: "i", metadata: null },
      image_ref: null,
      checks: null,
    });
    fly.flaps.intercept({ path: base, method: "GET" }).reply(200, [legacy, bare]);
    const [first, second] = await fly.client.listMachines("my-app");
    expect(first?.processGroup).toBe("worker");
    expect(second).toMatchObject({ processGroup: "app", metadata: {}, imageRef: null, checks: [] });
  });

  it("follows fly-next-cursor pages and asks for deleted machines when told", async () => {
    fly = mockFly();
    const paths: string[] = [];
    fly.flaps
      .intercept({ path: (p) => p.startsWith(base), method: "GET" })
      .reply((req) => {
        paths.push(req.path);
        const first = !req.path.includes("cursor=");
        return {
          statusCode: 200,
          data: [machineWire(first ? "m1" : "m2")],
          responseOptions: { headers: first ? { "fly-next-cursor": "next/1" } : {} },
        };
      })
      .times(2);
    const machines = await fly.client.listMachines("my-app", { includeDeleted: true, pageSize: 1 });
    expect(machines.map((m) => m.id)).toEqual(["m1", "m2"]);
    expect(paths).toEqual([
      `${base}?include_deleted=true&limit=1`,
      `${base}?include_deleted=true&limit=1&cursor=next%2F1`,
    ]);
  });

  it("reads one machine, optionally at a past version", async () => {
    fly = mockFly();
    fly.flaps
      .intercept({ path: `${base}/m1?version=01OLD`, method: "GET" })
      .reply(200, machineWire("m1", { instance_id: "01OLD" }));
    expect((await fly.client.getMachine("my-app", "m1", { version: "01OLD" })).instanceId).toBe(
      "01OLD",
    );
  });

  it("reports an unknown app as APP_NOT_FOUND and an unknown machine as MACHINE_NOT_FOUND", async () => {
    fly = mockFly();
    fly.flaps.intercept({ path: base, method: "GET" }).reply(404, { error: "app not found" });
    fly.flaps
      .intercept({ path: `${base}/nope`, method: "GET" })
      .reply(404, { error: "machine not found" });
    expect(await caught(fly.client.listMachines("my-app"))).toMatchObject({
      code: "APP_NOT_FOUND",
      kind: "input",
      status: 404,
    });
    expect(await caught(fly.client.getMachine("my-app", "nope"))).toMatchObject({
      code: "MACHINE_NOT_FOUND",
      kind: "input",
    });
  });

  it("reports a machine with the wrong shape as MALFORMED_RESPONSE", async () => {
    fly = mockFly();
    fly.flaps
      .intercept({ path: base, method: "GET" })
      .reply(200, [machineWire("m1", { config: { image: 42 } })]);
    const error = await caught(fly.client.listMachines("my-app"));
    expect(error).toMatchObject({ code: "MALFORMED_RESPONSE", operation: "list machines" });
    expect(error.message).toContain("0.config.image");
  });

  it("lists a machine's versions with their configs", async () => {
    fly = mockFly();
    fly.flaps.intercept({ path: `${base}/m1/versions`, method: "GET" }).reply(200, [
      { version: "01NEW", user_config: { image: "b", env: { A: "1" } } },
      { version: "01OLD", user_config: { image: "a" } },
    ]);
    expect(await fly.client.listMachineVersions("my-app", "m1")).toEqual([
      { version: "01NEW", config: { image: "b", env: { A: "1" } } },
      { version: "01OLD", config: { image: "a" } },
    ]);
  });
});

describe("changing machines", () => {
  it("updates a machine with the whole config, the lease nonce and the expected version", async () => {
    fly = mockFly();
    let sent: { body: unknown; nonce: string | undefined } | undefined;
    fly.flaps.intercept({ path: `${base}/m1`, method: "POST" }).reply((req) => {
      sent = { body: JSON.parse(String(req.body)), nonce: headersOf(req)[LEASE_NONCE_HEADER] };
      return { statusCode: 200, data: machineWire("m1", { state: "replacing" }) };
    });
    const config = {
      image: "registry.fly.io/my-app:v1.0.0",
      metadata: { fly_release_version: "8" },
      guest: { cpus: 1 },
    };
    const machine = await fly.client.updateMachine("my-app", "m1", {
      config,
      nonce: "n0nce",
      currentVersion: "01HVM1",
    });
    expect(machine.state).toBe("replacing");
    expect(sent).toEqual({ body: { config, current_version: "01HVM1" }, nonce: "n0nce" });
  });

  it("reports an update blocked by someone else's lease as LEASE_CONFLICT", async () => {
    fly = mockFly();
    fly.flaps
      .intercept({ path: `${base}/m1`, method: "POST" })
      .reply(409, { error: "machine lease currently held by ci@example.com, expires in 10s" });
    const error = await caught(
      fly.client.updateMachine("my-app", "m1", { config: { image: "x" } }),
    );
    expect(error).toMatchObject({ code: "LEASE_CONFLICT", status: 409 });
    expect(error.message).toContain("ci@example.com");
  });

  it("starts a machine, sending the nonce", async () => {
    fly = mockFly();
    let nonce: string | undefined;
    fly.flaps.intercept({ path: `${base}/m1/start`, method: "POST" }).reply((req) => {
      nonce = headersOf(req)[LEASE_NONCE_HEADER];
      return {
        statusCode: 200,
        data: { previous_state: "stopped", migrated: false, new_host: "" },
      };
    });
    await fly.client.startMachine("my-app", "m1", { nonce: "abc" });
    expect(nonce).toBe("abc");
  });
});

describe("waiting for a state", () => {
  it("polls again after 408 until the machine reaches the state", async () => {
    fly = mockFly();
    const paths: string[] = [];
    fly.flaps
      .intercept({ path: (p) => p.startsWith(`${base}/m1/wait`), method: "GET" })
      .reply((req) => {
        paths.push(req.path);
        const body: object =
          paths.length < 3
            ? { error: "deadline_exceeded: machine did not reach state" }
            : { ok: true };
        return { statusCode: paths.length < 3 ? 408 : 200, data: body };
      })
      .times(3);
    const result = await fly.client.waitForState("my-app", "m1", {
      state: "started",
      timeoutSeconds: 300,
      version: "01V",
    });
    expect(result).toEqual({ state: "started" });
    expect(paths).toHaveLength(3);
    expect(paths[0]).toBe(`${base}/m1/wait?state=started&timeout=60&version=01V`);
  });

  it("asks for any of several states and reports which one Fly saw", async () => {
    fly = mockFly();
    fly.flaps
      .intercept({ path: `${base}/m1/wait?state=started&state=stopped&timeout=5`, method: "GET" })
      .reply(200, { ok: true, state: "stopped" });
    expect(
      await fly.client.waitForState("my-app", "m1", {
        state: ["started", "stopped"],
        timeoutSeconds: 5,
      }),
    ).toEqual({
      state: "stopped",
    });
  });

  it("gives up with WAIT_TIMEOUT once the overall deadline passes", async () => {
    fly = mockFly();
    fly.flaps
      .intercept({ path: (p) => p.startsWith(`${base}/m1/wait`), method: "GET" })
      .reply(408, { error: "timeout" })
      .delay(400)
      .persist();
    const error = await caught(
      fly.client.waitForState("my-app", "m1", { state: "started", timeoutSeconds: 1 }),
    );
    expect(error).toMatchObject({ code: "WAIT_TIMEOUT", operation: "wait for a machine" });
    expect(error.message).toContain("started");
  });
});

describe("leases", () => {
  it("acquires a lease with ttl and description, reading Fly's wrapped answer", async () => {
    fly = mockFly();
    let body: unknown;
    fly.flaps.intercept({ path: `${base}/m1/lease`, method: "POST" }).reply((req) => {
      body = JSON.parse(String(req.body));
      return {
        statusCode: 201,
        data: {
          status: "success",
          data: {
            nonce: "5c35f65c9f95",
            expires_at: 1708569778,
            owner: "hello@fly.io",
            description: "",
            version: "01HQ",
          },
        },
      };
    });
    const lease = await fly.client.acquireLease("my-app", "m1", {
      ttlSeconds: 30,
      description: "semfly rollback",
    });
    expect(body).toEqual({ ttl: 30, description: "semfly rollback" });
    expect(lease).toEqual({
      nonce: "5c35f65c9f95",
      expiresAt: "2024-02-22T02:42:58.000Z",
      owner: "hello@fly.io",
      description: null,
    });
  });

  it("reads an unwrapped lease too, as the 2024 spec describes it", async () => {
    fly = mockFly();
    fly.flaps
      .intercept({ path: `${base}/m1/lease`, method: "POST" })
      .reply(200, { nonce: "abc", expires_at: 0, owner: "" });
    expect(
      await fly.client.acquireLease("my-app", "m1", { ttlSeconds: 5, description: "d" }),
    ).toEqual({
      nonce: "abc",
      expiresAt: "1970-01-01T00:00:00.000Z",
      owner: null,
      description: null,
    });
  });

  it("reads the lease held now back, with its description, and null when none is held", async () => {
    fly = mockFly();
    fly.flaps.intercept({ path: `${base}/m1/lease`, method: "GET" }).reply(200, {
      status: "success",
      data: {
        nonce: "n1",
        expires_at: 0,
        owner: "a@b.c",
        description: "semfly rollback (run 1a2b)",
      },
    });
    fly.flaps
      .intercept({ path: `${base}/m2/lease`, method: "GET" })
      .reply(404, { error: "lease not found" });
    expect(await fly.client.readLease("my-app", "m1")).toEqual({
      nonce: "n1",
      expiresAt: "1970-01-01T00:00:00.000Z",
      owner: "a@b.c",
      description: "semfly rollback (run 1a2b)",
    });
    expect(await fly.client.readLease("my-app", "m2")).toBeNull();
  });

  it("names the holder when the machine is already leased", async () => {
    fly = mockFly();
    fly.flaps
      .intercept({ path: `${base}/m1/lease`, method: "POST" })
      .reply(409, { error: "lease currently held" });
    fly.flaps.intercept({ path: `${base}/m1/lease`, method: "GET" }).reply(200, {
      status: "success",
      data: { nonce: "theirs", expires_at: 1708569778, owner: "deployer@example.com" },
    });
    const error = await caught(
      fly.client.acquireLease("my-app", "m1", { ttlSeconds: 30, description: "x" }),
    );
    expect(error).toMatchObject({
      code: "LEASE_CONFLICT",
      kind: "api",
      status: 409,
      operation: "acquire a machine lease",
    });
    expect(error.message).toContain("deployer@example.com");
    expect(error.message).not.toContain("theirs");
    expect(error.suggestion).toMatch(/another deploy or rollback/i);
  });

  it("still reports the conflict when the holder cannot be read", async () => {
    fly = mockFly({ retry: { retries: 0 } });
    fly.flaps
      .intercept({ path: `${base}/m1/lease`, method: "POST" })
      .reply(409, { error: "conflict" });
    fly.flaps.intercept({ path: `${base}/m1/lease`, method: "GET" }).reply(500, "oops");
    expect(
      await caught(fly.client.acquireLease("my-app", "m1", { ttlSeconds: 30, description: "x" })),
    ).toMatchObject({
      code: "LEASE_CONFLICT",
    });
  });

  it("refreshes and releases a lease with the nonce header", async () => {
    fly = mockFly();
    const seen: string[] = [];
    fly.flaps.intercept({ path: `${base}/m1/lease`, method: "POST" }).reply((req) => {
      seen.push(`POST ${headersOf(req)[LEASE_NONCE_HEADER]} ${String(req.body)}`);
      return {
        statusCode: 200,
        data: { status: "success", data: { nonce: "n1", expires_at: 1, owner: "me" } },
      };
    });
    fly.flaps.intercept({ path: `${base}/m1/lease`, method: "DELETE" }).reply((req) => {
      seen.push(`DELETE ${headersOf(req)[LEASE_NONCE_HEADER]}`);
      return { statusCode: 200, data: { status: "success", data: { ok: true } } };
    });
    expect((await fly.client.refreshLease("my-app", "m1", "n1", 20)).nonce).toBe("n1");
    await fly.client.releaseLease("my-app", "m1", "n1");
    expect(seen).toEqual(['POST n1 {"ttl":20}', "DELETE n1"]);
  });
});

describe("metadata", () => {
  it("reads all keys and sets one", async () => {
    fly = mockFly();
    let set: { body: unknown; nonce: string | undefined } | undefined;
    fly.flaps
      .intercept({ path: `${base}/m1/metadata`, method: "GET" })
      .reply(200, { fly_release_version: "63" });
    fly.flaps
      .intercept({ path: `${base}/m1/metadata/semfly_version`, method: "POST" })
      .reply((req) => {
        set = { body: JSON.parse(String(req.body)), nonce: headersOf(req)[LEASE_NONCE_HEADER] };
        return { statusCode: 204, data: "" };
      });
    expect(await fly.client.getMachineMetadata("my-app", "m1")).toEqual({
      fly_release_version: "63",
    });
    await fly.client.setMachineMetadata("my-app", "m1", "semfly_version", "1.2.3", { nonce: "n" });
    expect(set).toEqual({ body: { value: "1.2.3" }, nonce: "n" });
  });
});
