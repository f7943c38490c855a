import { afterEach, describe, expect, it } from "vitest";
import { type FleetMember, waitFleetHealthy } from "../../src/rollout/fleet-health.js";
import { resolveTiming } from "../../src/rollout/timing.js";
import { JSON_HEADERS, type MockFly, machineWire, mockFly } from "../fly/mock-fly.js";

/** waitFleetHealthy on list answers a real server may give: fields left out. */
let fly: MockFly | undefined;
afterEach(async () => {
  await fly?.agent.close();
  fly = undefined;
});

const base = "/v1/apps/my-app/machines";
const timing = resolveTiming({ checkPollMinMs: 5, checkPollMaxMs: 10, crashWatchMs: 0 });
const IDS = ["m1", "m2"];
const members: FleetMember[] = IDS.map((id) => ({ id, since: Date.now() }));
const passing = [{ name: "servicecheck-00-http-8080", status: "passing", output: "OK" }];

function machine(id: string, extra: Record<string, unknown>) {
  return machineWire(id, {
    config: {
      image: "registry.fly.io/my-app:v1.2.3",
      services: [{ internal_port: 8080, checks: [{ type: "http", path: "/healthz" }] }],
      metadata: { fly_process_group: "web" },
    },
    events: [{ type: "start", status: "started", source: "user", timestamp: Date.now() }],
    ...extra,
  });
}

describe("judging the set from a list that leaves fields out", () => {
  it("passes a healthy set when the list leaves `checks` out (as a summary list does): it reads each machine, as for `events`", async () => {
    fly = mockFly();
    // The list has no `checks` field at all (not an empty list): it says nothing about them.
    fly.flaps
      .intercept({ path: base, method: "GET" })
      .reply(
        200,
        IDS.map((id) => machine(id, { checks: undefined })),
        { headers: JSON_HEADERS },
      )
      .persist();
    for (const id of IDS) {
      fly.flaps
        .intercept({ path: `${base}/${id}`, method: "GET" })
        .reply(200, machine(id, { checks: passing }), { headers: JSON_HEADERS })
        .persist();
    }

    const verdict = await waitFleetHealthy(
      { client: fly.client, app: "my-app", timing, waitTimeoutMs: 300 },
      members,
      Date.now() + 300,
      new AbortController().signal,
    );

    // The absent field is not "no results yet": each machine is read, and its checks pass.
    expect(verdict).toBeNull();
  });
});
