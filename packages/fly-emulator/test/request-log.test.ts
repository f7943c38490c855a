import { describe, expect, it } from "vitest";
import { call, DEMO_APP_MACHINE, gql, machinePath, start } from "./helpers.js";

describe("request log", () => {
  it("records service, operation and the mutating flag of every request", async () => {
    const emulator = await start();
    await call(emulator, "GET", machinePath(DEMO_APP_MACHINE));
    await call(emulator, "GET", "/v1/apps/acme-web/machines");
    await call(emulator, "POST", machinePath(DEMO_APP_MACHINE, "/lease"), { body: { ttl: 5 } });
    await gql(emulator, 'query GetReleases { app(name: "acme-web") { name } }');
    await gql(
      emulator,
      "mutation Finish($input: UpdateReleaseInput!) { updateRelease(input: $input) { release { id } } }",
      {
        input: { releaseId: "nope", status: "complete" },
      },
    );
    await call(emulator, "GET", "/api/v1/apps/acme-web/releases/current");
    expect(
      emulator.requestLog.map(({ method, path, service, operation, mutating, status }) => ({
        method,
        path,
        service,
        operation,
        mutating,
        status,
      })),
    ).toEqual([
      {
        method: "GET",
        path: machinePath(DEMO_APP_MACHINE),
        service: "machines",
        operation: "machines.get",
        mutating: false,
        status: 200,
      },
      {
        method: "GET",
        path: "/v1/apps/acme-web/machines",
        service: "machines",
        operation: "machines.list",
        mutating: false,
        status: 200,
      },
      {
        method: "POST",
        path: machinePath(DEMO_APP_MACHINE, "/lease"),
        service: "machines",
        operation: "machines.lease.acquire",
        mutating: true,
        status: 201,
      },
      {
        method: "POST",
        path: "/graphql",
        service: "graphql",
        operation: "GetReleases",
        mutating: false,
        status: 200,
      },
      {
        method: "POST",
        path: "/graphql",
        service: "graphql",
        operation: "Finish",
        mutating: true,
        status: 200,
      },
      {
        method: "GET",
        path: "/api/v1/apps/acme-web/releases/current",
        service: "releases",
        operation: "releases.current",
        mutating: false,
        status: 200,
      },
    ]);
    expect(emulator.mutatingRequests().map((r) => r.operation)).toEqual([
      "machines.lease.acquire",
      "Finish",
    ]);
    expect(emulator.counters.requests).toBe(6);
    emulator.clearRequestLog();
    expect(emulator.requestLog).toEqual([]);
  });

  it("counts a rejected mutation as mutating too", async () => {
    const emulator = await start();
    await call(emulator, "POST", machinePath(DEMO_APP_MACHINE), { body: { config: {} } });
    expect(emulator.mutatingRequests()).toEqual([
      expect.objectContaining({ operation: "machines.update", status: 400 }),
    ]);
  });

  it("sends a unique fly-request-id on every response and logs it", async () => {
    const emulator = await start();
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const res = await call(emulator, "GET", i % 2 ? "/nope" : machinePath(DEMO_APP_MACHINE));
      ids.add(res.headers.get("fly-request-id") ?? "");
    }
    expect(ids.size).toBe(5);
    expect(emulator.requestLog.map((r) => r.requestId)).toEqual([...ids]);
  });

  it("serves its state to other processes at /__emulator/state", async () => {
    const emulator = await start();
    const res = await call<{
      apps: Array<{ name: string; machines: unknown[]; releases: unknown[] }>;
    }>(emulator, "GET", "/__emulator/state", { auth: null });
    expect(res.status).toBe(200);
    expect(res.body.apps[0]).toMatchObject({ name: "acme-web" });
    expect(res.body.apps[0]?.machines).toHaveLength(9);
    expect(res.body.apps[0]?.releases).toHaveLength(25);
    expect(emulator.requestLog).toEqual([]);
  });
});
