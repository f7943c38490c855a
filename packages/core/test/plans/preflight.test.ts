import { describe, expect, it } from "vitest";
import { planRollout, preflightOf, resolveRollbackTarget } from "../../src/index.js";
import { digestOf } from "../builders.js";
import { historyOf, onVersion, rollbackFrom } from "./world.js";

describe("preflightOf", () => {
  it("carries the target image, machines, skipped machines, strategy and batches, and no warning for a plain rollback", () => {
    const { plan, history } = rollbackFrom(historyOf());
    const preflight = preflightOf(plan, history);
    expect(preflight).toMatchObject({
      app: "acme-web",
      kind: "rollback",
      from: { key: "3.1.12" },
      to: { key: "3.1.11", image: `registry.fly.io/acme-web@${digestOf("3.1.11")}` },
      strategy: "rolling",
      batchSize: 1,
      batches: [["m1"], ["m2"], ["m3"]],
      skipped: [],
      orphans: [],
      warnings: [],
    });
    expect(preflight.machines.map((m) => [m.id, m.state, m.configSource])).toEqual([
      ["m1", "started", "current"],
      ["m2", "started", "current"],
      ["m3", "started", "current"],
    ]);
  });

  it("warns about machines that are not started, drift, and skipped machines", () => {
    const history = historyOf([
      onVersion("m1", "3.1.12"),
      onVersion("m2", "3.1.12", { state: "stopped" }),
      onVersion("m3", "3.1.11"),
    ]);
    const { plan } = rollbackFrom(history);
    const preflight = preflightOf(plan, history);
    expect(preflight.skipped).toEqual([
      {
        id: "m3",
        name: "machine-m3",
        region: "ams",
        processGroup: "app",
        reason: "already on the target digest",
      },
    ]);
    expect(preflight.warnings).toEqual([
      "1 machine not started (m2: stopped): updated without being started, so not health-checked.",
      "The machines do not all run the same version now (1 on 3.1.11).",
    ]);
  });

  it("warns when --with-config found no historical config for a machine", () => {
    const history = historyOf();
    const target = resolveRollbackTarget(history, { spec: "3.1.11" });
    const plan = planRollout({
      history,
      target,
      kind: "rollback",
      withConfig: true,
      historicalConfigs: new Map([
        ["m1", { image: "x", metadata: {} }],
        ["m2", { image: "x" }],
      ]),
    });
    expect(preflightOf(plan, history).warnings).toEqual([
      "No config from when m3 ran 3.1.11 was found: it keeps its current config with the new image.",
    ]);
  });
});
