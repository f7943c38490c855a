import { describe, expect, it } from "vitest";
import {
  answerIsFresh,
  buildVersionHistory,
  type CachedImageAnswer,
  planRollbackableMarkers,
  questionsToAsk,
} from "../../src/index.js";
import { acmeWebHistory, digestOf, machine, release } from "../builders.js";

const NOW = Date.parse("2026-12-01T12:00:00Z");
const HOUR = 3_600_000;
const at = (ms: number) => new Date(ms).toISOString();

function liveMachine() {
  const m = machine({ id: "m1", image: "registry.fly.io/acme-web:3.1.12" });
  return { ...m, imageRef: { ...m.imageRef!, digest: digestOf("3.1.12") } };
}

const history = () =>
  buildVersionHistory({ app: "acme-web", releases: acmeWebHistory(), machines: [liveMachine()] });

describe("which versions the rollbackable marker asks about", () => {
  it("answers for free what a machine references, and asks the registry by digest for the rest", () => {
    const plans = planRollbackableMarkers(history(), {}, NOW);
    expect(
      plans.map((p) => (p.kind === "ask" ? `ask ${p.question.image}` : p.marker.state)),
    ).toEqual([
      "restorable",
      `ask registry.fly.io/acme-web@${digestOf("3.1.11")}`,
      `ask registry.fly.io/acme-web@${digestOf("3.1.10")}`,
      `ask registry.fly.io/acme-web@${digestOf("3.1.9")}`,
    ]);
    const [, second] = plans;
    expect(second?.kind === "ask" && second.question.tagRef).toBe(
      "registry.fly.io/acme-web:v3.1.11",
    );
  });

  it("takes a fresh cached answer with its time, and asks again once it is stale", () => {
    const image = `registry.fly.io/acme-web@${digestOf("3.1.11")}`;
    const answer = (
      outcome: "exists" | "gone",
      age: number,
    ): Record<string, CachedImageAnswer> => ({
      [image]: { outcome, source: "registry", checkedAt: at(NOW - age), detail: "registry said" },
    });
    const marker = (cache: Record<string, CachedImageAnswer>) =>
      planRollbackableMarkers(history(), cache, NOW)[1];
    expect(marker(answer("exists", 3 * HOUR))).toEqual({
      kind: "answered",
      marker: {
        key: "3.1.11",
        state: "restorable",
        source: "registry",
        checkedAt: at(NOW - 3 * HOUR),
        cached: true,
        detail: "registry said",
      },
    });
    expect(marker(answer("exists", 25 * HOUR))?.kind).toBe("ask");
    // Gone lasts a week: only a new push of the same bytes brings a digest back.
    expect(marker(answer("gone", 3 * 24 * HOUR))).toMatchObject({
      marker: { state: "image-gone" },
    });
    expect(marker(answer("gone", 8 * 24 * HOUR))?.kind).toBe("ask");
  });

  it("never trusts an answer dated in the future", () => {
    expect(
      answerIsFresh(
        { outcome: "exists", source: "registry", checkedAt: at(NOW + 2 * HOUR), detail: "" },
        NOW,
      ),
    ).toBe(false);
  });

  it("says no digest for a pruned version and asks nobody about a version that never went live", () => {
    const releases = [
      release({
        version: 30,
        imageRef: "registry.fly.io/acme-web:3.2.0",
        imageDigest: digestOf("3.2.0"),
        status: "failed",
      }),
      release({ version: 2, imageRef: "registry.fly.io/acme-web:2.9.0", imageDigest: null }),
      ...acmeWebHistory(),
    ];
    const h = buildVersionHistory({ app: "acme-web", releases, machines: [liveMachine()] });
    const states = Object.fromEntries(
      planRollbackableMarkers(h, {}, NOW).map((p) => [
        p.kind === "ask" ? p.question.key : p.marker.key,
        p.kind === "ask" ? "ask" : p.marker.state,
      ]),
    );
    expect(states).toMatchObject({ "3.2.0": "not-checked", "2.9.0": "no-digest", "3.1.11": "ask" });
  });

  it("asks each major.minor line's newest first, and the same ones again when some are cached", () => {
    const versions = ["3.2.2", "3.2.1", "3.2.0", "3.1.5", "3.1.4", "2.7.3", "2.7.2"];
    const plans = versions.map((v) => ({
      kind: "ask" as const,
      question: { key: v, image: `i@${v}`, digest: v, tagRef: null },
    }));
    const entries = versions.map((v) => ({ key: v, version: v }));
    expect(questionsToAsk(plans, entries, 4).map((q) => q.key)).toEqual([
      "3.2.2",
      "3.1.5",
      "2.7.3",
      "3.2.1",
    ]);
    // 3.2.2 answered from the cache keeps its place, so the selection does not creep down the list.
    const cached = [
      {
        kind: "answered" as const,
        marker: {
          key: "3.2.2",
          state: "restorable" as const,
          source: "registry" as const,
          checkedAt: at(NOW),
          cached: true,
          detail: "",
        },
      },
      ...plans.slice(1),
    ];
    expect(questionsToAsk(cached, entries, 4).map((q) => q.key)).toEqual([
      "3.1.5",
      "2.7.3",
      "3.2.1",
    ]);
  });
});
