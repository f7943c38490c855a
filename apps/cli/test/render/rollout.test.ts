import type { RolloutPlan } from "@semfly/core";
import { describe, expect, it } from "vitest";
import { plain } from "../../src/render/color.js";
import { LiveProgress, plainProgress, undoCommand } from "../../src/render/rollout.js";

const to = { key: "3.1.11", version: "3.1.11", digest: "sha256:b", image: "r@sha256:b" };
const from = { key: "3.1.12", version: "3.1.12", digest: "sha256:a" };
const machine = (id: string, processGroup: string) => ({
  id,
  name: id,
  region: "ams",
  processGroup,
  state: "started",
  instanceId: "1",
  from,
  currentConfig: { image: "r:3.1.12" },
  targetConfig: { image: to.image },
  configSource: "current" as const,
});
const plan: RolloutPlan = {
  app: "acme-web",
  kind: "rollback",
  strategy: "rolling",
  maxUnavailable: 1,
  batchSize: 1,
  from,
  to,
  machines: [machine("m1", "app"), machine("m2", "worker")],
  skipped: [],
  batches: [["m1"], ["m2"]],
  withConfig: false,
  reason: null,
};

describe("rollout progress", () => {
  it("folds per-machine lease events into one line each way", () => {
    const line = plainProgress(plan);
    expect(line({ type: "machine-leased", machineId: "m1" })).toBeNull();
    expect(line({ type: "machine-leased", machineId: "m2" })).toBe("Leased 2 machines");
    expect(line({ type: "batch-started", index: 0, of: 2, machineIds: ["m1"] })).toBe(
      "Batch 1/2: m1",
    );
    expect(line({ type: "machine-updated", machineId: "m1" })).toBe("m1: updated to 3.1.11");
    expect(line({ type: "machine-failed", machineId: "m1", reason: "boom" })).toBe(
      "m1: failed: boom",
    );
    expect(line({ type: "lease-released", machineId: "m1" })).toBeNull();
    expect(line({ type: "lease-released", machineId: "m2" })).toBe("Released 2 leases");
  });

  it("redraws one aligned line per machine on a terminal", () => {
    const written: string[] = [];
    const live = new LiveProgress(plan, { width: 80, colors: plain, isTTY: true }, (t) =>
      written.push(t),
    );
    live.onEvent({ type: "batch-started", index: 0, of: 2, machineIds: ["m1"] });
    live.onEvent({ type: "checks-passing", machineId: "m1" });
    expect(live.lines()).toEqual([
      "Batch 1/2",
      "  m1  ams  app     3.1.12 → 3.1.11  ✓ healthy",
      "  m2  ams  worker  3.1.12 → 3.1.11  pending",
    ]);
    expect(written[1]!.startsWith("\u001b[3F\u001b[0J")).toBe(true);
  });

  it("undoes with a rollback to what was live before", () => {
    expect(undoCommand("semfly", "acme-web", from)).toBe("semfly rollback 3.1.12 --app acme-web");
    expect(
      undoCommand("semfly", "a", { key: "sha256:abc", version: null, digest: "sha256:abc" }),
    ).toBe("semfly rollback sha256:abc --app a");
    expect(undoCommand("semfly", "a", null)).toBeNull();
  });
});
