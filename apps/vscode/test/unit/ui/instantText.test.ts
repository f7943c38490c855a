import {
  type InstantResult,
  NOT_RESTORED_NOTE,
  parkedSetFor,
  planRollout,
  resolveRollbackTarget,
} from "@semfly/core";
import { describe, expect, it } from "vitest";
import { instantConfirmation, instantResultMessage } from "../../../src/ui/instantText.js";
import { NOW } from "../builders.js";
import { parkedHistory } from "../parkedWorld.js";

const history = parkedHistory();
const plan = planRollout({
  history,
  target: resolveRollbackTarget(history, { key: "3.1.11" }),
  kind: "rollback",
  strategy: "rolling",
});
const listing = [...history.machines, ...history.unmanaged].map((m) => m.machine);
const set = parkedSetFor(plan, listing, NOW)!;
const KEPT_UNTIL = "2026-11-27T12:00:00.000Z";

function result(overrides: Partial<InstantResult>): InstantResult {
  return {
    app: "acme-web",
    status: "complete",
    reason: null,
    release: { id: "rel_6", version: 6 },
    from: plan.from,
    to: plan.to,
    restored: ["p1", "p2"],
    parked: ["m1", "m2"],
    trimmed: [],
    warnings: [],
    ...overrides,
  };
}

describe("the instant rollback's confirmation", () => {
  it("asks with app, from and to, and says what it starts", () => {
    const { message, detail } = instantConfirmation({ plan, set, keptUntil: KEPT_UNTIL });
    expect(message).toBe("Roll back acme-web instantly from 3.2.0 to 3.1.11?");
    expect(detail).toContain(
      "Starts the 2 machines of 3.1.11 parked until 2026-11-26 14:00 UTC (ams, fra): one machine start, no redeploy.",
    );
  });

  it("says what is parked in exchange, and until when", () => {
    const { detail } = instantConfirmation({ plan, set, keptUntil: KEPT_UNTIL });
    expect(detail).toContain(
      "Parks in exchange the 2 machines of 3.2.0 that serve now (ams, fra), until 2026-11-27 12:00 UTC",
    );
    expect(detail).toContain("Roll Back Instantly on 3.2.0 undoes it until then.");
    expect(detail).toContain("3.2.0 serves until the cut-over");
    expect(detail).toContain(NOT_RESTORED_NOTE);
  });

  it("says the current machines are destroyed when nothing is kept", () => {
    const { detail } = instantConfirmation({ plan, set, keptUntil: null });
    expect(detail).toContain("Destroys the 2 machines of 3.2.0 that serve now (ams, fra)");
    expect(detail).not.toContain("Parks in exchange");
  });

  it("warns when the parked set has fewer machines in a group and region than serve there now", () => {
    const short = { ...set, machines: set.machines.slice(0, 1) };
    const missing = set.machines[1]!;
    const { detail } = instantConfirmation({ plan, set: short, keptUntil: KEPT_UNTIL });
    expect(detail).toContain(
      `Warning: ${missing.processGroup} in ${missing.region} has 0 machines parked for the 1 that serve now: it will run with fewer.`,
    );
  });

  it("names the older parked sets it destroys once the target serves", () => {
    const older = { ...set, set: "rel_old", version: "3.0.9", machines: set.machines.slice(0, 1) };
    const { detail } = instantConfirmation({ plan, set, keptUntil: KEPT_UNTIL, drops: [older] });
    expect(detail).toContain(
      "Destroys the older parked set of 3.0.9 (1 machine) once 3.1.11 serves: one parked set is kept.",
    );
  });
});

describe("the instant rollback's result", () => {
  it("says what started and until when the former version stays parked, with an instant undo", () => {
    expect(instantResultMessage(result({}), KEPT_UNTIL)).toEqual({
      severity: "info",
      message:
        "acme-web is on 3.1.11 (Fly release v6): 2 machines started instantly; 3.2.0's 2 machines are parked until 2026-11-27 12:00 UTC.",
      canUndo: true,
    });
  });

  it("offers no undo when the former machines were destroyed", () => {
    const shown = instantResultMessage(result({}), null);
    expect(shown.message).toContain("3.2.0's 2 machines were destroyed.");
    expect(shown.canUndo).toBe(false);
  });

  it("says an interruption once, and that the current version still serves", () => {
    const shown = instantResultMessage(
      result({
        status: "interrupted",
        reason:
          "Interrupted before the cut-over: the current version still serves and the parked set is parked.",
        restored: [],
        parked: [],
      }),
      KEPT_UNTIL,
    );
    expect(shown).toEqual({
      severity: "warning",
      message:
        "Instant rollback of acme-web to 3.1.11 was interrupted before the cut-over: the current version still serves and the parked set is parked.",
      canUndo: false,
    });
  });

  it("gives core's reason for a failure", () => {
    const shown = instantResultMessage(
      result({
        status: "failed",
        reason:
          "Parked machine p1 failed: checks critical; the current version still serves and the parked set is parked again.",
        restored: [],
        parked: [],
      }),
      KEPT_UNTIL,
    );
    expect(shown.severity).toBe("error");
    expect(shown.message).toBe(
      "Instant rollback of acme-web to 3.1.11 failed: Parked machine p1 failed: checks critical; the current version still serves and the parked set is parked again.",
    );
  });
});
