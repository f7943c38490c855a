import { describe, expect, it } from "vitest";
import {
  gatesFromFile,
  mergeGateFlags,
  parseGateExpression,
  parseProbeSpec,
  parseStatusSpec,
} from "../../src/index.js";

describe("a --gate expression", () => {
  it("splits at the last comparison before the trailing number, so the query keeps its own", () => {
    const gate = parseGateExpression('sum(x{status=~"5.."}) > 0 or vector(0) <= 0.01');
    expect(gate).toMatchObject({
      query: 'sum(x{status=~"5.."}) > 0 or vector(0)',
      op: "<=",
      threshold: 0.01,
      noData: "fail",
    });
  });

  it.each(["sum(x)", "sum(x) <", "sum(x) < lots", "< 3"])(
    "refuses %j with a one-line reason",
    (text) => {
      expect(() => parseGateExpression(text)).toThrow(/is not "QUERY <op> NUMBER"/);
    },
  );
});

describe("a --probe", () => {
  it("defaults to 2xx, no body check, 5 s, the whole app", () => {
    expect(parseProbeSpec("https://acme-web.fly.dev/healthz")).toEqual({
      kind: "probe",
      name: "GET https://acme-web.fly.dev/healthz",
      url: "https://acme-web.fly.dev/healthz",
      status: [[200, 299]],
      bodyContains: null,
      timeoutMs: 5000,
      perMachine: false,
    });
  });

  it("takes status, body, timeout and per-machine after the URL", () => {
    expect(
      parseProbeSpec("https://a.fly.dev/ status=200,204 body=ok timeout=2s per-machine"),
    ).toMatchObject({
      status: [
        [200, 200],
        [204, 204],
      ],
      bodyContains: "ok",
      timeoutMs: 2000,
      perMachine: true,
    });
  });

  it.each([
    ["acme-web.fly.dev/healthz", /is not a URL/],
    ["ftp://a.fly.dev/", /is not http or https/],
    ["https://a.fly.dev/ colour=red", /Unknown probe option/],
    ["https://a.fly.dev/ timeout=soon", /is not a duration/],
  ])("refuses %j", (text, message) => {
    expect(() => parseProbeSpec(text)).toThrow(message);
  });

  it("reads status families and ranges", () => {
    expect(parseStatusSpec("2xx,301-302")).toEqual([
      [200, 299],
      [301, 302],
    ]);
    expect(() => parseStatusSpec("ok")).toThrow(/not a status/);
  });
});

describe("semfly.toml's [verify] section", () => {
  it("gives the bake window, probes and gates", () => {
    const gates = gatesFromFile(
      {
        app: "acme-web",
        verify: {
          bake: "10m",
          interval: "30s",
          probe: [{ url: "https://acme-web.fly.dev/healthz", status: 200, per_machine: true }],
          gate: [{ expr: "sum(x) < 1", name: "5xx", wait: "1m", no_data: "pass" }],
        },
      },
      "semfly.toml",
    );
    expect(gates.bakeMs).toBe(600_000);
    expect(gates.intervalMs).toBe(30_000);
    expect(gates.probes[0]).toMatchObject({ status: [[200, 200]], perMachine: true });
    expect(gates.metrics[0]).toMatchObject({ name: "5xx", waitMs: 60_000, noData: "pass" });
  });

  it("names the file and the key it cannot read", () => {
    expect(() => gatesFromFile({ verify: { bake: 10 } }, "/srv/semfly.toml")).toThrow(
      /^\/srv\/semfly\.toml: verify\.bake: /,
    );
    expect(() => gatesFromFile({ verify: { probes: [] } }, "semfly.toml")).toThrow(/semfly\.toml/);
  });

  it("is overridden kind by kind by flags", () => {
    const file = gatesFromFile(
      {
        verify: { bake: "10m", probe: [{ url: "https://a.fly.dev/" }], gate: [{ expr: "x < 1" }] },
      },
      "semfly.toml",
    );
    const merged = mergeGateFlags(file, { gate: ["y > 2"] });
    expect(merged.probes).toEqual(file.probes);
    expect(merged.metrics.map((g) => g.query)).toEqual(["y"]);
    expect(merged.bakeMs).toBe(600_000);
    expect(mergeGateFlags(file, { bake: "0s" }).bakeMs).toBe(0);
  });
});
