import { describe, expect, it } from "vitest";
import { type ParkedSet, parkedSetsBeyondKeep } from "../../src/index.js";

function set(id: string, parkedAt: string, expiresAt = "2027-01-01T00:00:00.000Z"): ParkedSet {
  return {
    set: id,
    version: id,
    digest: `sha256:${id}`,
    expiresAt,
    parkedAt,
    expired: false,
    machines: [],
  };
}

const ids = (sets: ParkedSet[]) => sets.map((s) => s.set);

describe("which parked sets a rollout destroys for --keep", () => {
  const sets = [
    set("b", "2026-11-02T00:00:00.000Z"),
    set("new", "2026-11-03T00:00:00.000Z"),
    set("a", "2026-11-01T00:00:00.000Z"),
  ];

  it("keeps only the set it just parked with --keep 1", () => {
    expect(ids(parkedSetsBeyondKeep(sets, 1, "new"))).toEqual(["b", "a"]);
  });

  it("keeps the newest older sets beside its own, dropping the oldest first", () => {
    expect(ids(parkedSetsBeyondKeep(sets, 2, "new"))).toEqual(["a"]);
    expect(parkedSetsBeyondKeep(sets, 3, "new")).toEqual([]);
  });

  it("keeps its own set even when it was parked before the others by the clock", () => {
    const skewed = [set("new", "2026-10-01T00:00:00.000Z"), set("b", "2026-11-02T00:00:00.000Z")];
    expect(ids(parkedSetsBeyondKeep(skewed, 1, "new"))).toEqual(["b"]);
  });

  it("counts only what is parked when the rollout parked nothing (--keep-previous 0)", () => {
    expect(ids(parkedSetsBeyondKeep(sets, 1, null))).toEqual(["b", "a"]);
    expect(ids(parkedSetsBeyondKeep(sets, 2, null))).toEqual(["a"]);
  });

  it("treats sets parked before semfly recorded the time as the oldest, by expiry among them", () => {
    const mixed = [
      set("old-early", "", "2026-11-05T00:00:00.000Z"),
      set("old-late", "", "2026-11-06T00:00:00.000Z"),
      set("b", "2026-11-02T00:00:00.000Z"),
    ];
    expect(ids(parkedSetsBeyondKeep(mixed, 1, null))).toEqual(["old-late", "old-early"]);
    expect(ids(parkedSetsBeyondKeep(mixed, 2, null))).toEqual(["old-early"]);
  });
});
