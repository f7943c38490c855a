import { afterEach, describe, expect, it } from "vitest";
import { createFlyClient } from "../../src/index.js";
import {
  API,
  caught,
  FLAPS,
  JSON_HEADERS,
  type MockFly,
  machineWire,
  mockFly,
  SECRET_TOKEN,
} from "./mock-fly.js";

let fly: MockFly | undefined;
afterEach(async () => {
  await fly?.agent.close();
  fly = undefined;
});

const machinesPath = "/v1/apps/my-app/machines";
const updateBody = { config: { image: "registry.fly.io/my-app:v2.0.0" } };

describe("authorization on the wire", () => {
  it("sends a macaroon token as FlyV1 to the Machines API and as Bearer to the release API", async () => {
    fly = mockFly({ token: "fm2_abcMacaroon,fm2_defMacaroon" });
    const seen: Record<string, string> = {};
    fly.flaps.intercept({ path: machinesPath, method: "GET" }).reply((req) => {
      seen.flaps = (req.headers as Record<string, string>).authorization!;
      return { statusCode: 200, data: [], responseOptions: { headers: JSON_HEADERS } };
    });
    fly.api.intercept({ path: "/api/v1/releases", method: "POST" }).reply((req) => {
      seen.uiex = (req.headers as Record<string, string>).authorization!;
      return { statusCode: 201, data: { release: { id: "r1", version: 3, status: "pending" } } };
    });
    await fly.client.listMachines("my-app");
    await fly.client.createRelease({
      app: "my-app",
      image: "img",
      strategy: "rolling",
      definition: { app: "my-app" },
    });
    expect(seen).toEqual({
      flaps: "FlyV1 fm2_abcMacaroon,fm2_defMacaroon",
      uiex: "Bearer fm2_abcMacaroon,fm2_defMacaroon",
    });
  });

  it("sends a user token as Bearer to GraphQL", async () => {
    fly = mockFly({ token: "plain-oauth-token" });
    let seen = "";
    fly.api.intercept({ path: "/graphql", method: "POST" }).reply((req) => {
      seen = (req.headers as Record<string, string>).authorization!;
      return { statusCode: 200, data: { data: { app: { currentRelease: null } } } };
    });
    await fly.client.currentRelease("my-app");
    expect(seen).toBe("Bearer plain-oauth-token");
  });

  it("refuses to build a client without a token", () => {
    expect(() => createFlyClient({ token: "  " })).toThrow(
      expect.objectContaining({ code: "MISSING_TOKEN", kind: "input" }),
    );
  });
});

describe("retries", () => {
  // 408 (Fly timed the request out) and 500 are transient too: decided once, in fly/retry.ts.
  it.each([408, 429, 500, 502, 503, 504])(
    "retries a GET after HTTP %i and then succeeds",
    async (status) => {
      fly = mockFly();
      fly.flaps.intercept({ path: machinesPath, method: "GET" }).reply(status, { error: "busy" });
      fly.flaps.intercept({ path: machinesPath, method: "GET" }).reply(200, [machineWire("m1")]);
      const machines = await fly.client.listMachines("my-app");
      expect(machines.map((m) => m.id)).toEqual(["m1"]);
      expect(
        fly.debugLines.filter((line) => line.startsWith("retrying list machines")),
      ).toHaveLength(1);
    },
  );

  it("gives up after the configured number of retries with a busy suggestion", async () => {
    fly = mockFly({ retry: { retries: 2, minDelayMs: 1, maxDelayMs: 2 } });
    let calls = 0;
    fly.flaps
      .intercept({ path: machinesPath, method: "GET" })
      .reply(() => {
        calls++;
        return { statusCode: 503, data: { error: "overloaded" } };
      })
      .persist();
    const error = await caught(fly.client.listMachines("my-app"));
    expect(calls).toBe(3);
    expect(error).toMatchObject({
      code: "FLY_SERVER_ERROR",
      status: 503,
      operation: "list machines",
    });
    expect(error.suggestion).toMatch(/retry/i);
  });

  it("honours Retry-After in seconds and as an HTTP date, capped", async () => {
    fly = mockFly({ retry: { retries: 3, minDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 40 } });
    const inAnHour = new Date(Date.now() + 3_600_000).toUTCString();
    fly.flaps
      .intercept({ path: machinesPath, method: "GET" })
      .reply(429, "", { headers: { "retry-after": "0" } });
    fly.flaps
      .intercept({ path: machinesPath, method: "GET" })
      .reply(429, "", { headers: { "retry-after": "3600" } });
    fly.flaps
      .intercept({ path: machinesPath, method: "GET" })
      .reply(429, "", { headers: { "retry-after": inAnHour } });
    fly.flaps.intercept({ path: machinesPath, method: "GET" }).reply(200, []);
    await fly.client.listMachines("my-app");
    const delays = fly.debugLines
      .filter((line) => line.startsWith("retrying"))
      .map((line) => /in (\d+)ms.*\(Retry-After\)/.exec(line)?.[1]);
    expect(delays).toEqual(["0", "40", "40"]);
  });

  it("does not retry a machine update that failed with HTTP 500", async () => {
    fly = mockFly();
    let calls = 0;
    fly.flaps
      .intercept({ path: `${machinesPath}/m1`, method: "POST" })
      .reply(() => {
        calls++;
        return { statusCode: 500, data: { error: "internal error", status: "unknown" } };
      })
      .persist();
    const error = await caught(fly.client.updateMachine("my-app", "m1", updateBody));
    expect(calls).toBe(1);
    expect(error).toMatchObject({
      code: "FLY_SERVER_ERROR",
      status: 500,
      flyCode: "unknown",
      operation: "update a machine",
    });
  });

  it("does not retry a machine update on 502, since Fly may have applied it", async () => {
    fly = mockFly();
    let calls = 0;
    fly.flaps
      .intercept({ path: `${machinesPath}/m1`, method: "POST" })
      .reply(() => {
        calls++;
        return { statusCode: 502, data: "bad gateway" };
      })
      .persist();
    await caught(fly.client.updateMachine("my-app", "m1", updateBody));
    expect(calls).toBe(1);
  });

  it("resends an update that carries current_version on 502 and after a reset, as fly-go does", async () => {
    fly = mockFly();
    const guarded = { ...updateBody, currentVersion: "01V1" };
    fly.flaps.intercept({ path: `${machinesPath}/m1`, method: "POST" }).reply(502, "bad gateway");
    fly.flaps
      .intercept({ path: `${machinesPath}/m1`, method: "POST" })
      .reply(200, machineWire("m1"));
    expect((await fly.client.updateMachine("my-app", "m1", guarded)).id).toBe("m1");
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    fly.flaps.intercept({ path: `${machinesPath}/m2`, method: "POST" }).replyWithError(reset);
    fly.flaps
      .intercept({ path: `${machinesPath}/m2`, method: "POST" })
      .reply(200, machineWire("m2"));
    expect((await fly.client.updateMachine("my-app", "m2", guarded)).id).toBe("m2");
    fly.agent.assertNoPendingInterceptors();
  });

  it("sends region, skip_launch and current_version in the update body", async () => {
    fly = mockFly();
    let body: unknown;
    fly.flaps.intercept({ path: `${machinesPath}/m1`, method: "POST" }).reply((req) => {
      body = JSON.parse(String(req.body));
      return {
        statusCode: 200,
        data: machineWire("m1"),
        responseOptions: { headers: JSON_HEADERS },
      };
    });
    await fly.client.updateMachine("my-app", "m1", {
      ...updateBody,
      currentVersion: "01V1",
      region: "ams",
      skipLaunch: true,
    });
    expect(body).toEqual({
      ...updateBody,
      region: "ams",
      skip_launch: true,
      current_version: "01V1",
    });
  });

  it("takes a per-call override: no retries, a shorter sleep, or one more failure to retry", async () => {
    fly = mockFly({ retry: { retries: 3, minDelayMs: 1, maxDelayMs: 2 } });
    fly.flaps.intercept({ path: machinesPath, method: "GET" }).reply(503, { error: "busy" });
    const once = await caught(fly.client.listMachines("my-app", { retry: { retries: 0 } }));
    expect(once).toMatchObject({ status: 503 });

    fly.flaps
      .intercept({ path: machinesPath, method: "GET" })
      .reply(429, "", { headers: { "retry-after": "3600" } });
    fly.flaps.intercept({ path: machinesPath, method: "GET" }).reply(200, []);
    await fly.client.listMachines("my-app", { retry: { maxDelayMs: 5 } });
    const slept = fly.debugLines.filter((l) => l.startsWith("retrying")).at(-1);
    expect(slept).toMatch(/in 5ms/);

    fly.flaps
      .intercept({ path: `${machinesPath}/m1`, method: "POST" })
      .reply(409, { error: "odd" });
    fly.flaps
      .intercept({ path: `${machinesPath}/m1`, method: "POST" })
      .reply(200, machineWire("m1"));
    const machine = await fly.client.updateMachine("my-app", "m1", updateBody, {
      retry: { retryIf: (error) => error.status === 409 },
    });
    expect(machine.id).toBe("m1");
    fly.agent.assertNoPendingInterceptors();
  });

  it("retries a machine update refused with 429, which Fly did not act on", async () => {
    fly = mockFly();
    fly.flaps
      .intercept({ path: `${machinesPath}/m1`, method: "POST" })
      .reply(429, { error: "rate limited" });
    fly.flaps
      .intercept({ path: `${machinesPath}/m1`, method: "POST" })
      .reply(200, machineWire("m1"));
    const machine = await fly.client.updateMachine("my-app", "m1", updateBody);
    expect(machine.id).toBe("m1");
  });

  it("retries a machine update whose connection was refused, but not one reset mid-flight", async () => {
    fly = mockFly();
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    fly.flaps.intercept({ path: `${machinesPath}/m1`, method: "POST" }).replyWithError(refused);
    fly.flaps
      .intercept({ path: `${machinesPath}/m1`, method: "POST" })
      .reply(200, machineWire("m1"));
    expect((await fly.client.updateMachine("my-app", "m1", updateBody)).id).toBe("m1");

    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    fly.flaps.intercept({ path: `${machinesPath}/m2`, method: "POST" }).replyWithError(reset);
    fly.flaps
      .intercept({ path: `${machinesPath}/m2`, method: "POST" })
      .reply(200, machineWire("m2"));
    const error = await caught(fly.client.updateMachine("my-app", "m2", updateBody));
    expect(error).toMatchObject({ code: "NETWORK_ERROR", operation: "update a machine" });
    expect(error.suggestion).toMatch(/FLY_FLAPS_BASE_URL/);
    // The answer a resend would have had is still there: the update was sent once.
    expect((await fly.client.updateMachine("my-app", "m2", updateBody)).id).toBe("m2");
  });

  it("retries a GET after a connection reset", async () => {
    fly = mockFly();
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    fly.flaps.intercept({ path: `${machinesPath}/m1`, method: "GET" }).replyWithError(reset);
    fly.flaps
      .intercept({ path: `${machinesPath}/m1`, method: "GET" })
      .reply(200, machineWire("m1"));
    expect((await fly.client.getMachine("my-app", "m1")).id).toBe("m1");
  });

  it("does not retry createRelease on 503", async () => {
    fly = mockFly();
    let calls = 0;
    fly.api
      .intercept({ path: "/api/v1/releases", method: "POST" })
      .reply(() => {
        calls++;
        return { statusCode: 503, data: "unavailable" };
      })
      .persist();
    await caught(
      fly.client.createRelease({
        app: "my-app",
        image: "img",
        strategy: "immediate",
        definition: { app: "my-app" },
      }),
    );
    expect(calls).toBe(1);
  });
});

describe("timeouts, cancellation and size", () => {
  it("fails a request that takes longer than the timeout with TIMEOUT", async () => {
    fly = mockFly({ timeoutMs: 50 });
    fly.flaps
      .intercept({ path: `${machinesPath}/m1`, method: "POST" })
      .reply(200, machineWire("m1"))
      .delay(2_000);
    const error = await caught(fly.client.updateMachine("my-app", "m1", updateBody));
    expect(error).toMatchObject({ code: "TIMEOUT", operation: "update a machine" });
  });

  it("retries a GET that timed out", async () => {
    fly = mockFly({ timeoutMs: 50 });
    fly.flaps
      .intercept({ path: `${machinesPath}/m1`, method: "GET" })
      .reply(200, machineWire("m1"))
      .delay(2_000);
    fly.flaps
      .intercept({ path: `${machinesPath}/m1`, method: "GET" })
      .reply(200, machineWire("m1"));
    expect((await fly.client.getMachine("my-app", "m1")).id).toBe("m1");
  });

  it("stops at once with ABORTED when the caller's signal fires", async () => {
    fly = mockFly();
    fly.flaps.intercept({ path: machinesPath, method: "GET" }).reply(200, []).delay(5_000);
    const controller = new AbortController();
    const pending = caught(fly.client.listMachines("my-app", { signal: controller.signal }));
    setTimeout(() => controller.abort(), 20);
    expect(await pending).toMatchObject({ code: "ABORTED", operation: "list machines" });
  });

  it("does not send anything when the signal is already aborted", async () => {
    fly = mockFly();
    const error = await caught(
      fly.client.getMachine("my-app", "m1", { signal: AbortSignal.abort() }),
    );
    expect(error).toMatchObject({ code: "ABORTED" });
  });

  it("stops waiting between retries when aborted", async () => {
    fly = mockFly({ retry: { retries: 3, minDelayMs: 5_000, maxDelayMs: 5_000 } });
    fly.flaps.intercept({ path: machinesPath, method: "GET" }).reply(503, "busy");
    const controller = new AbortController();
    const pending = caught(fly.client.listMachines("my-app", { signal: controller.signal }));
    setTimeout(() => controller.abort(), 50);
    expect(await pending).toMatchObject({ code: "ABORTED" });
  });

  it("lets many machines' retries wait on one signal without Node's listener-leak warning", async () => {
    fly = mockFly({ retry: { retries: 1, minDelayMs: 20, maxDelayMs: 20 } });
    const ids = Array.from({ length: 30 }, (_, i) => `m${i}`);
    for (const id of ids) {
      fly.flaps.intercept({ path: `${machinesPath}/${id}`, method: "GET" }).reply(503, "busy");
      fly.flaps
        .intercept({ path: `${machinesPath}/${id}`, method: "GET" })
        .reply(200, machineWire(id));
    }
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      const shared = new AbortController().signal;
      const got = await Promise.all(
        ids.map((id) => fly!.client.getMachine("my-app", id, { signal: shared })),
      );
      expect(got.map((m) => m.id)).toEqual(ids);
      // Node emits the warning on a later tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).not.toContain("MaxListenersExceededWarning");
  });

  it("refuses a response larger than the cap, announced or streamed", async () => {
    fly = mockFly({ maxResponseBytes: 1024 });
    const big = JSON.stringify([machineWire("m1", { padding: "x".repeat(4096) })]);
    fly.flaps
      .intercept({ path: machinesPath, method: "GET" })
      .reply(200, big, { headers: { "content-length": String(big.length) } });
    expect(await caught(fly.client.listMachines("my-app"))).toMatchObject({
      code: "RESPONSE_TOO_LARGE",
      operation: "list machines",
    });
    fly.flaps.intercept({ path: machinesPath, method: "GET" }).reply(200, big);
    const error = await caught(fly.client.listMachines("my-app"));
    expect(error).toMatchObject({ code: "RESPONSE_TOO_LARGE" });
    expect(error.message).toMatch(/list machines/);
  });
});

describe("secrecy", () => {
  it("never puts the token in an error, a suggestion or a debug line, even when Fly echoes it", async () => {
    fly = mockFly({ retry: { retries: 1, minDelayMs: 1, maxDelayMs: 1 } });
    const echo = {
      error: `token validation error for Bearer ${SECRET_TOKEN} (${SECRET_TOKEN})`,
      status: "unknown",
    };
    fly.flaps
      .intercept({ path: machinesPath, method: "GET" })
      .reply(401, echo, { headers: { "fly-request-id": "req-1" } });
    fly.flaps
      .intercept({ path: `${machinesPath}/m1`, method: "GET" })
      .reply(503, echo)
      .times(2);
    fly.api.intercept({ path: "/graphql", method: "POST" }).reply(200, {
      data: null,
      errors: [{ message: `bad token ${SECRET_TOKEN}`, extensions: { code: "UNAUTHORIZED" } }],
    });
    const errors = [
      await caught(fly.client.listMachines("my-app")),
      await caught(fly.client.getMachine("my-app", "m1")),
      await caught(fly.client.currentRelease("my-app")),
    ];
    expect(errors[0]).toMatchObject({
      code: "UNAUTHORIZED",
      kind: "input",
      status: 401,
      requestId: "req-1",
    });
    expect(errors[0]!.suggestion).toMatch(/FLY_API_TOKEN|fly auth token/);
    expect(errors[2]).toMatchObject({ code: "UNAUTHORIZED", kind: "input" });
    const everything = [
      ...errors.map((e) => `${e.message} ${String(e.suggestion)} ${JSON.stringify(e)}`),
      ...fly.debugLines,
    ].join("\n");
    expect(fly.debugLines.length).toBeGreaterThan(0);
    expect(everything).not.toContain(SECRET_TOKEN);
    expect(everything).not.toContain("8c1f2e");
  });

  it("logs method, URL, status, duration and request id, and no headers", async () => {
    fly = mockFly();
    fly.flaps
      .intercept({ path: machinesPath, method: "GET" })
      .reply(200, [], { headers: { "fly-request-id": "01REQ" } });
    await fly.client.listMachines("my-app");
    expect(fly.debugLines).toHaveLength(1);
    expect(fly.debugLines[0]).toMatch(
      new RegExp(
        `^GET ${FLAPS}/v1/apps/my-app/machines → 200 in \\d+ms \\(fly-request-id 01REQ\\)$`,
      ),
    );
    expect(fly.debugLines[0]).not.toMatch(/authorization|bearer/i);
  });
});

it("uses the API base URLs it is given", async () => {
  fly = mockFly({ apiBaseUrl: "http://localhost:9999/", flapsBaseUrl: "http://localhost:9998" });
  fly.agent
    .get("http://localhost:9998")
    .intercept({ path: machinesPath, method: "GET" })
    .reply(200, []);
  fly.agent
    .get("http://localhost:9999")
    .intercept({ path: "/graphql", method: "POST" })
    .reply(200, { data: { app: { currentRelease: null } } });
  expect(await fly.client.listMachines("my-app")).toEqual([]);
  expect(await fly.client.currentRelease("my-app")).toBeNull();
  expect(API).toBe("https://api.fly.io");
});
