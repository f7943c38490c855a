import { afterEach, describe, expect, it } from "vitest";
import { type FleetMember, waitFleetHealthy } from "../../src/rollout/fleet-health.js";
import { resolveTiming } from "../../src/rollout/timing.js";
import { JSON_HEADERS, type MockFly, machineWire, mockFly } from "../fly/mock-fly.js";

let fly: MockFly | undefined;
afterEach(async () => {
  await fly?.agent.close();
  fly = undefined;
});

const base = "/v1/apps/my-app/machines";
const timing = resolveTiming({ checkPollMinMs: 5, checkPollMaxMs: 10, crashWatchMs: 0 });
const IDS = ["m1", "m2", "m3"];
const members: FleetMember[] = IDS.map((id) => ({ id, since: Date.now() }));

/** A started machine with one service check, as Fly lists it: checks and events included. */
function listed(id: string, checks: unknown[], extra: Record<string, unknown> = {}) {
  return machineWire(id, {
    config: {
      image: "registry.fly.io/my-app:v1.2.3",
      services: [{ internal_port: 8080, checks: [{ type: "http", path: "/healthz" }] }],
      metadata: { fly_process_group: "web" },
    },
    checks,
    events: [{ type: "start", status: "started", source: "user", timestamp: Date.now() }],
    ...extra,
  });
}
const passing = [{ name: "servicecheck-00-http-8080", status: "passing", output: "OK" }];
const critical = [{ name: "servicecheck-00-http-8080", status: "critical", output: "503" }];

function replyList(machines: unknown[], times: number | "always" = 1) {
  const reply = fly!.flaps
    .intercept({ path: base, method: "GET" })
    .reply(200, machines, { headers: JSON_HEADERS });
  if (times === "always") reply.persist();
  else reply.times(times);
}

function watch(deadlineMs = 5_000) {
  return waitFleetHealthy(
    { client: fly!.client, app: "my-app", timing, waitTimeoutMs: deadlineMs },
    members,
    Date.now() + deadlineMs,
    new AbortController().signal,
  );
}

describe("judging a set of started machines from the app's machine list", () => {
  it("passes the whole set from one list, with no request per machine", async () => {
    fly = mockFly();
    replyList(IDS.map((id) => listed(id, passing)));

    expect(await watch()).toBeNull();
    // disableNetConnect: a GET of one machine would have thrown; every interceptor was used once.
  });

  it("waits while a started machine has not reported its checks yet, then passes", async () => {
    fly = mockFly();
    // Right after a start the runtime check list is empty.
    replyList([listed("m1", []), listed("m2", passing), listed("m3", [])]);
    replyList(IDS.map((id) => listed(id, passing)));

    expect(await watch()).toBeNull();
  });

  it("fails the machine whose check stays critical, naming it and the check", async () => {
    fly = mockFly();
    replyList([listed("m1", passing), listed("m2", critical), listed("m3", [])], 3);

    expect(await watch()).toEqual({
      machineId: "m2",
      reason: "health check servicecheck-00-http-8080 is critical (503)",
    });
  });

  it("fails a machine that crash-loops even though its checks pass", async () => {
    fly = mockFly();
    const exit = (at: number) => ({
      type: "exit",
      status: "stopped",
      source: "flyd",
      timestamp: at,
      request: { exit_event: { exit_code: 1, requested_stop: false } },
    });
    replyList([
      listed("m1", passing),
      listed("m2", passing, { events: [exit(Date.now() + 1), exit(Date.now() + 2)] }),
      listed("m3", passing),
    ]);

    const verdict = await watch();
    expect(verdict?.machineId).toBe("m2");
    expect(verdict?.reason).toMatch(/crashing \(2 unrequested exits/);
  });

  it("reads each machine's events when the list leaves them out", async () => {
    fly = mockFly();
    replyList(IDS.map((id) => listed(id, passing, { events: undefined })));
    for (const id of IDS) {
      fly.flaps
        .intercept({ path: `${base}/${id}/events`, method: "GET" })
        .reply(200, [], { headers: JSON_HEADERS });
    }

    expect(await watch()).toBeNull();
  });

  it("fails a machine the list no longer has", async () => {
    fly = mockFly();
    replyList([listed("m1", passing), listed("m3", passing)]);

    expect(await watch()).toEqual({ machineId: "m2", reason: "the machine is gone" });
  });

  it("gives up on a machine still unchecked at the deadline", async () => {
    fly = mockFly();
    replyList([listed("m1", passing), listed("m2", []), listed("m3", passing)], "always");

    const verdict = await watch(40);
    expect(verdict?.machineId).toBe("m2");
    expect(verdict?.reason).toMatch(/did not become healthy within the wait timeout/);
  });

  it("throws a list Fly answered with garbage: it says nothing about any machine", async () => {
    fly = mockFly();
    replyList([{ id: 42 }]);

    await expect(watch()).rejects.toThrow(/list machines/);
  });
});
