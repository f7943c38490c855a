import { describe, expect, it } from "vitest";
import { evaluatePromql } from "../src/promql.js";
import { call, start } from "./helpers.js";

const series = [
  {
    labels: { __name__: "m", app: "a", instance: "i1", status: "200" },
    value: 90,
    ratePerSecond: 9,
    ageSeconds: 10,
  },
  {
    labels: { __name__: "m", app: "a", instance: "i1", status: "503" },
    value: 10,
    ratePerSecond: 1,
    ageSeconds: 10,
  },
  {
    labels: { __name__: "m", app: "a", instance: "i2", status: "200" },
    value: 100,
    ratePerSecond: 10,
    ageSeconds: 10,
  },
];
const source = (metric: string) => (metric === "m" ? series : []);

describe("the PromQL the gates need", () => {
  it.each([
    ['sum(rate(m{status=~"5.."}[1m]))', [{ labels: {}, value: 1 }]],
    ['sum(rate(m{status=~"5.."}[1m])) / sum(rate(m[1m]))', [{ labels: {}, value: 0.05 }]],
    [
      'sum by (instance) (rate(m{instance!="i2"}[1m]))',
      [{ labels: { instance: "i1" }, value: 10 }],
    ],
    ['sum(increase(m{status="200"}[5s]))', [{ labels: {}, value: 95 }]],
    ['sum(rate(m{status="500"}[1m])) or vector(0)', [{ labels: {}, value: 0 }]],
    ["count(m) * 2", [{ labels: {}, value: 6 }]],
  ])("%s", (query, expected) => {
    expect(evaluatePromql(query, source)).toEqual({ kind: "vector", samples: expected });
  });

  it("has no series for a status never served, as Prometheus has none", () => {
    expect(evaluatePromql('sum(rate(m{status="500"}[1m]))', source)).toEqual({
      kind: "vector",
      samples: [],
    });
  });

  it.each(["sum(rate(m))", "rate(m[1m]", "m{status~2}", "topk(1, m)"])("refuses %s", (query) => {
    expect(() => evaluatePromql(query, source)).toThrow();
  });
});

describe("the Prometheus API and the app proxy", () => {
  it("answers an instant query with the org's per-machine series, labelled as Fly labels them", async () => {
    const fly = await start({ scenario: "demo" });
    const live = fly.machines("acme-web").find((m) => m.state === "started")!;
    fly.setImageTraffic(live.image_ref.digest, { errorRate: 0.25 });
    const query = encodeURIComponent(
      'sum by (status) (rate(fly_app_http_responses_count{app="acme-web"}[1m]))',
    );
    const res = await call<{
      status: string;
      data: {
        resultType: string;
        result: Array<{ metric: Record<string, string>; value: [number, string] }>;
      };
    }>(fly, "GET", `/prometheus/acme/api/v1/query?query=${query}`);
    expect(res.status).toBe(200);
    expect(res.body.data.resultType).toBe("vector");
    const byStatus = Object.fromEntries(
      res.body.data.result.map((r) => [r.metric.status, Number(r.value[1])]),
    );
    const machines = fly.machines("acme-web").filter((m) => m.state === "started").length;
    expect(byStatus).toEqual({ "200": 7.5 * machines, "503": 2.5 * machines });
  });

  it("refuses a bad query with Prometheus's bad_data, and an unknown org with 404", async () => {
    const fly = await start({ scenario: "demo" });
    const bad = await call<{ errorType: string }>(
      fly,
      "GET",
      "/prometheus/acme/api/v1/query?query=rate(x)",
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errorType).toBe("bad_data");
    const unknown = await call(fly, "GET", "/prometheus/nope/api/v1/query?query=vector(1)");
    expect(unknown.status).toBe(404);
  });

  it("needs a token for metrics but not for the app's public traffic", async () => {
    const fly = await start({ scenario: "demo" });
    expect(
      (await call(fly, "GET", "/prometheus/acme/api/v1/query?query=vector(1)", { auth: null }))
        .status,
    ).toBe(401);
    const machine = fly.machines("acme-web").find((m) => m.state === "started");
    fly.setImageTraffic(machine!.image_ref.digest, { probeStatus: 503, probeBody: "down" });
    const res = await fetch(fly.appUrl("acme-web", "/healthz"), {
      headers: { "fly-force-instance-id": machine!.id },
    });
    expect([res.status, await res.text()]).toEqual([503, "down"]);
  });
});
