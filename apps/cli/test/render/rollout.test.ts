import type { RolloutPlan, RolloutResult } from "@semfly/core";
import { describe, expect, it } from "vitest";
import { plain } from "../../src/render/color.js";
import {
  LiveProgress,
  plainProgress,
  planText,
  rolloutFailure,
  undoCommand,
} from "../../src/render/rollout.js";

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
  cold: false,
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
  unmanaged: [],
  unreachable: [],
  batches: [["m1"], ["m2"]],
  verifyCold: [],
  withConfig: false,
  reason: null,
  definition: { app: "acme-web" },
  orphans: [],
  releaseCommand: null,
  warnings: [],
  notes: [],
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

  it("names cold machines, unreachable and unmanaged ones, and the release command in the plan", () => {
    const text = planText(
      {
        ...plan,
        machines: [{ ...machine("m1", "app"), state: "stopped", cold: true }],
        unreachable: [
          {
            id: "m9",
            name: "m9",
            region: "iad",
            processGroup: "app",
            reason: "its host is unreachable",
          },
        ],
        skipped: [
          {
            id: "m9",
            name: "m9",
            region: "iad",
            processGroup: "app",
            reason: "its host is unreachable",
          },
        ],
        unmanaged: [
          {
            id: "d1",
            name: "d1",
            region: "ams",
            processGroup: "app",
            reason: "not a Fly Launch machine",
          },
        ],
        releaseCommand: { command: "bin/migrate" },
      },
      { width: 120, colors: plain, isTTY: false },
      null,
    );
    expect(text).toContain(
      "Machines:  1 to update, 1 of them cold (updated without starting), 1 unreachable, skipped, 1 not managed",
    );
    expect(text).toContain("stopped (stays cold)");
    expect(text).toContain("m9 (app, iad): host unreachable, skipped");
    expect(text).toContain("d1: not managed (not a Fly Launch machine), left alone");
    expect(text).toContain("Release command: bin/migrate");
  });

  it("undoes with a rollback to what was live before", () => {
    expect(undoCommand("semfly", "acme-web", from)).toBe("semfly rollback 3.1.12 --app acme-web");
    expect(
      undoCommand("semfly", "a", { key: "sha256:abc", version: null, digest: "sha256:abc" }),
    ).toBe("semfly rollback sha256:abc --app a");
    expect(undoCommand("semfly", "a", null)).toBeNull();
  });
});

describe("the way on after an interrupted rollout", () => {
  const interrupted = (results: ("updated" | "not-started")[]): RolloutResult => ({
    app: "acme-web",
    kind: "rollback",
    status: "interrupted",
    from,
    to,
    strategy: "rolling",
    release: { id: "rel_28", version: 28 },
    machines: results.map((result, i) => ({
      id: `m${i}`,
      name: `m${i}`,
      region: "ams",
      processGroup: "app",
      from,
      to,
      result,
    })),
    reason: null,
    reverted: false,
    liveNow: null,
    undoTarget: from,
    warnings: [],
    notRestored: "",
  });

  it("says to run it again while machines are left to move", () => {
    expect(rolloutFailure(interrupted(["updated", "not-started"]), "semfly").suggestion).toBe(
      "Run the same command again to finish, or undo with `semfly rollback 3.1.12 --app acme-web`.",
    );
  });

  it("says to verify once every machine moved (Ctrl-C in the bake window): a re-run would find it live", () => {
    expect(rolloutFailure(interrupted(["updated", "updated"]), "semfly").suggestion).toBe(
      "Every machine runs the target, unjudged: `semfly verify --app acme-web` judges it now, or undo with `semfly rollback 3.1.12 --app acme-web`.",
    );
  });
});
