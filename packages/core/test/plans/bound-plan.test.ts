import { describe, expect, it } from "vitest";
import {
  assertPlanNotExpired,
  assertPlanUnchanged,
  bindPlan,
  DEFAULT_PLAN_TTL_MS,
  planExpired,
} from "../../src/index.js";
import { acmeWebHistory, digestOf } from "../builders.js";
import { historyOf, onVersion, release, rollbackFrom } from "./world.js";

const NOW = Date.UTC(2026, 11, 1, 9, 0, 0);

function bound(ttlMs?: number) {
  return bindPlan(rollbackFrom(historyOf()), {
    id: "plan_1",
    now: NOW,
    ...(ttlMs === undefined ? {} : { ttlMs }),
  });
}

/** Throws what `fn` throws, so the test can look at the error's fields. */
function thrown(fn: () => void): { code?: string; message?: string; kind?: string } {
  try {
    fn();
  } catch (error) {
    return error as never;
  }
  throw new Error("did not throw");
}

describe("bindPlan", () => {
  it("binds the app, the target digest, every machine with its instance id, the strategy and the newest release", () => {
    const plan = bound();
    expect(plan.expiresAt - plan.createdAt).toBe(DEFAULT_PLAN_TTL_MS);
    expect(plan.binding).toEqual({
      app: "acme-web",
      kind: "rollback",
      from: { key: "3.1.12", digest: digestOf("3.1.12") },
      target: {
        key: "3.1.11",
        digest: digestOf("3.1.11"),
        image: `registry.fly.io/acme-web@${digestOf("3.1.11")}`,
      },
      strategy: "rolling",
      maxUnavailable: 0.33,
      withConfig: false,
      machines: [
        { id: "m1", instanceId: "01HVM1", planned: true },
        { id: "m2", instanceId: "01HVM2", planned: true },
        { id: "m3", instanceId: "01HVM3", planned: true },
      ],
      latestRelease: 27,
    });
  });
});

describe("plan expiry", () => {
  it("lets a plan run until its time is up, and refuses it from then on", () => {
    const plan = bound(60_000);
    expect(planExpired(plan, NOW + 59_999)).toBe(false);
    expect(() => assertPlanNotExpired(plan, NOW + 59_999)).not.toThrow();
    expect(planExpired(plan, NOW + 60_000)).toBe(true);
    const error = thrown(() => assertPlanNotExpired(plan, NOW + 90_000));
    expect(error).toMatchObject({ code: "PLAN_EXPIRED", kind: "input" });
    expect(error.message).toBe("Plan plan_1 expired: it was made 90s ago and could run for 60s.");
  });
});

describe("assertPlanUnchanged", () => {
  it("accepts the same request planned again from an unchanged app", () => {
    expect(() => assertPlanUnchanged(bound(), rollbackFrom(historyOf()))).not.toThrow();
  });

  it("refuses it when a machine's config version moved", () => {
    const moved = historyOf([
      onVersion("m1", "3.1.12"),
      onVersion("m2", "3.1.12", { instanceId: "01HVM2-NEW" }),
      onVersion("m3", "3.1.12"),
    ]);
    const error = thrown(() => assertPlanUnchanged(bound(), rollbackFrom(moved)));
    expect(error).toMatchObject({ code: "PLAN_CHANGED", kind: "input" });
    expect(error.message).toBe(
      "Plan plan_1 no longer matches acme-web: machine m2 changed (config version 01HVM2 → 01HVM2-NEW).",
    );
  });

  it("refuses it when a machine appeared or went away", () => {
    const more = historyOf(["m1", "m2", "m3", "m4"].map((id) => onVersion(id, "3.1.12")));
    expect(thrown(() => assertPlanUnchanged(bound(), rollbackFrom(more))).message).toContain(
      "machine m4 is new",
    );
    const fewer = historyOf(["m1", "m3"].map((id) => onVersion(id, "3.1.12")));
    expect(thrown(() => assertPlanUnchanged(bound(), rollbackFrom(fewer))).message).toContain(
      "machine m2 is gone",
    );
  });

  it("refuses it when Fly recorded a release since", () => {
    const releases = [
      ...acmeWebHistory(),
      release({ version: 28, reason: "scale", imageDigest: digestOf("3.1.12") }),
    ];
    const error = thrown(() =>
      assertPlanUnchanged(bound(), rollbackFrom(historyOf(undefined, releases))),
    );
    expect(error.message).toBe(
      "Plan plan_1 no longer matches acme-web: Fly recorded release v28 since the plan (it was made at v27).",
    );
  });

  it("refuses it when a machine no longer needs the update, or the strategy differs", () => {
    const partly = historyOf([
      onVersion("m1", "3.1.11"),
      onVersion("m2", "3.1.12"),
      onVersion("m3", "3.1.12"),
    ]);
    const plan = bound();
    expect(thrown(() => assertPlanUnchanged(plan, rollbackFrom(partly))).message).toContain(
      "machine m1 no longer needs an update",
    );
    expect(
      thrown(() => assertPlanUnchanged(plan, rollbackFrom(historyOf(), "canary"))).message,
    ).toContain("the strategy is now canary");
  });
});
