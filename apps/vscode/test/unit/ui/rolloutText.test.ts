import {
  EMPTY_GATES,
  parseGateExpression,
  parseProbeSpec,
  planRollout,
  type RolloutResult,
  resolveRollbackTarget,
} from "@semfly/core";
import { describe, expect, it } from "vitest";
import {
  describeRolloutEvent,
  rollbackConfirmation,
  rolloutResultMessage,
} from "../../../src/ui/rolloutText.js";
import { demoHistory, machine } from "../builders.js";

const history = demoHistory([
  machine("m1", "v3.2.0"),
  machine("m2", "v3.2.0", { region: "fra" }),
  machine("m3", "v3.2.0", { region: "syd" }),
]);
const plan = (strategy: "rolling" | "canary" | "immediate" = "rolling") =>
  planRollout({
    history,
    target: resolveRollbackTarget(history, { key: "3.1.11" }),
    kind: "rollback",
    strategy,
  });

function result(overrides: Partial<RolloutResult>): RolloutResult {
  const p = plan();
  return {
    app: "acme-web",
    kind: "rollback",
    status: "complete",
    from: p.from,
    to: p.to,
    strategy: p.strategy,
    release: { id: "rel_6", version: 6 },
    machines: p.machines.map((m) => ({
      id: m.id,
      name: m.name,
      region: m.region,
      processGroup: m.processGroup,
      from: m.from,
      to: p.to,
      result: "updated",
    })),
    reason: null,
    reverted: false,
    liveNow: p.to,
    undoTarget: p.from,
    warnings: [],
    notRestored: "",
    ...overrides,
  };
}

describe("the rollback confirmation", () => {
  it("names what will be skipped: cold, unreachable and unmanaged machines", () => {
    const mixed = demoHistory([
      machine("m1", "v3.2.0"),
      machine("m2", "v3.2.0", { state: "stopped", checks: [] }),
      machine("m3", "v3.2.0", { hostStatus: "unreachable", configIncomplete: true }),
      machine("dbg", "v3.1.11", { metadata: {} }),
    ]);
    const skipping = planRollout({
      history: mixed,
      target: resolveRollbackTarget(mixed, { key: "3.1.11" }),
      kind: "rollback",
      skipUnreachable: true,
    });
    const { detail } = rollbackConfirmation(skipping);
    expect(detail).toContain(
      "1 cold machine is updated without being started and stays stopped: m2-name.",
    );
    expect(detail).toContain("Skipped, host unreachable: m3-name.");
    expect(detail).toContain("Left alone, not managed by Fly Launch: dbg-name.");
  });

  it("names the app, from → to, the machines and the strategy", () => {
    const { message, detail } = rollbackConfirmation(plan());
    expect(message).toBe("Roll back acme-web from 3.2.0 to 3.1.11?");
    expect(detail).toContain(
      "3 machines (ams, fra, syd) will be updated: rolling: one machine first, then 33% of each process group at a time, each checked before the next.",
    );
    expect(detail).toContain("Image: registry.fly.io/acme-web@sha256:");
    expect(detail).toContain("secrets, volumes and databases are not restored");
  });

  it("ends with the preflight: migrations crossed, secrets changed since the target, volumes", () => {
    const { detail } = rollbackConfirmation(plan(), {
      migrations: [
        { version: "3.2.0", command: "bin/migrate", source: "release-config", release: 5 },
      ],
      secrets: {
        basis: "digests",
        since: null,
        changes: [{ name: "STRIPE_KEY", change: "changed", setAt: "2025-06-01T00:00:00Z" }],
      },
      volumes: [{ volumeId: "vol_1", name: "data", path: "/data", machineId: "m1" }],
      unknown: [],
    });
    expect(detail.split("\n").slice(-3)).toEqual([
      "Migrations crossed: 3.2.0 (v5: bin/migrate) ran a release command; the database schema may not match 3.1.11.",
      "Secrets changed since 3.1.11: STRIPE_KEY changed. They stay as they are now.",
      "Volumes attached: vol_1 (data) on m1: their data is not rolled back (--snapshot-volumes snapshots them first).",
    ]);
  });

  it.each([
    [
      "canary",
      "canary: one machine first, then 33% of each process group once it passes its checks",
    ],
    ["immediate", "immediate: every machine at once"],
  ] as const)("explains the %s strategy", (strategy, text) => {
    expect(rollbackConfirmation(plan(strategy)).detail).toContain(text);
  });
});

describe("the rollback confirmation with the app's gates", () => {
  it("names semfly.toml's probes, metric gates and bake window", () => {
    const gates = {
      ...EMPTY_GATES,
      probes: [parseProbeSpec("https://acme-web.fly.dev/healthz")],
      metrics: [parseGateExpression("errors < 1", { name: "5xx" })],
      bakeMs: 600_000,
    };
    const { detail } = rollbackConfirmation(plan(), undefined, gates);
    expect(detail).toContain(
      "Gates (semfly.toml): GET https://acme-web.fly.dev/healthz; 5xx. Then a bake window of 600s. A failing gate puts every changed machine back.",
    );
  });

  it("says nothing of gates when the app has none", () => {
    expect(rollbackConfirmation(plan(), undefined, { ...EMPTY_GATES }).detail).not.toContain(
      "Gates",
    );
  });
});

describe("progress lines", () => {
  it("name each machine by name and region", () => {
    const p = plan();
    expect(describeRolloutEvent({ type: "machine-leased", machineId: "m2" }, p)).toBe(
      "m2-name (fra): leased",
    );
    expect(describeRolloutEvent({ type: "machine-updated", machineId: "m1" }, p)).toBe(
      "m1-name (ams): updated to 3.1.11",
    );
    expect(describeRolloutEvent({ type: "machine-reverted", machineId: "m1" }, p)).toBe(
      "m1-name (ams): back on 3.2.0",
    );
    expect(
      describeRolloutEvent({ type: "batch-started", index: 0, of: 3, machineIds: ["m1"] }, p),
    ).toBe("Batch 1 of 3: m1-name (ams)");
  });

  it("name machines outside the plan it is given, as an instant rollback's parked ones", () => {
    const parked = [{ id: "p1", name: "p1-name", region: "syd" }];
    expect(describeRolloutEvent({ type: "checks-passing", machineId: "p1" }, plan(), parked)).toBe(
      "p1-name (syd): checks passing",
    );
    expect(describeRolloutEvent({ type: "machine-started", machineId: "p1" }, plan())).toBe(
      "p1: started",
    );
  });
});

describe("the result notification", () => {
  it("reports a complete rollback with its release and offers undo", () => {
    expect(rolloutResultMessage(result({}))).toEqual({
      severity: "info",
      message: "acme-web is on 3.1.11 (Fly release v6): 3 machines updated.",
      canUndo: true,
    });
  });

  it("says an interruption once, in one sentence, with one machine-count form", () => {
    const p = plan();
    const interrupted = rolloutResultMessage(
      result({
        status: "interrupted",
        reason: "Interrupted after 1 of 3 machines.",
        machines: p.machines.map((m, i) => ({
          id: m.id,
          name: m.name,
          region: m.region,
          processGroup: m.processGroup,
          from: m.from,
          to: p.to,
          result: i === 0 ? "updated" : "not-started",
        })),
      }),
    );
    expect(interrupted).toEqual({
      severity: "warning",
      message:
        "Rollback of acme-web to 3.1.11 was interrupted after 1 of 3 machines; run it again to finish, or undo.",
      canUndo: true,
    });
  });

  it("keeps a reason that adds something, without its full stop", () => {
    const interrupted = rolloutResultMessage(
      result({ status: "interrupted", reason: "cancelled by the user." }),
    );
    expect(interrupted.message).toBe(
      "Rollback of acme-web to 3.1.11 was interrupted after 3 of 3 machines (cancelled by the user); run it again to finish, or undo.",
    );
  });

  it("says an interruption before any machine changed as such", () => {
    const p = plan();
    const message = rolloutResultMessage(
      result({
        status: "interrupted",
        reason: "Interrupted before any machine changed.",
        undoTarget: null,
        machines: p.machines.map((m) => ({
          id: m.id,
          name: m.name,
          region: m.region,
          processGroup: m.processGroup,
          from: m.from,
          to: p.to,
          result: "not-started",
        })),
      }),
    ).message;
    expect(message).toBe(
      "Rollback of acme-web to 3.1.11 was interrupted before any machine changed; run it again to finish.",
    );
  });

  it("reports a failed, reverted rollback without undo, saying the revert once", () => {
    const failed = rolloutResultMessage(
      result({
        status: "failed",
        reason: "Machine m2 failed: checks critical; every changed machine was put back.",
        reverted: true,
        undoTarget: null,
      }),
    );
    expect(failed).toEqual({
      severity: "error",
      message:
        "Rollback of acme-web to 3.1.11 failed: Machine m2 failed: checks critical; every changed machine is back on 3.2.0.",
      canUndo: false,
    });
  });
});
