import { describe, expect, it } from "vitest";
import {
  type ParkedSet,
  parkedSetsBeyondKeep,
  parkedShortfall,
  setsDroppedByKeep,
  suspendAllowed,
} from "../../src/index.js";

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

const config = (rest: Record<string, unknown>) => ({ image: "registry.fly.io/app:1", ...rest });

describe("which parked sets an instant rollback destroys for --keep", () => {
  const sets = [
    set("a", "2026-11-01T00:00:00.000Z"),
    set("b", "2026-11-02T00:00:00.000Z"),
    set("target", "2026-11-03T00:00:00.000Z"),
  ];

  it("counts the set it parks in exchange as one: --keep 1 drops every other", () => {
    const drops = setsDroppedByKeep(sets, "target", { keepParkedSets: 1, keepPreviousMs: 1 });
    expect(ids(drops)).toEqual(["b", "a"]);
  });

  it("keeps the newest other set with --keep 2, and never counts the set it restores", () => {
    const drops = setsDroppedByKeep(sets, "target", { keepParkedSets: 2, keepPreviousMs: 1 });
    expect(ids(drops)).toEqual(["a"]);
  });

  it("parks nothing in exchange with --keep-previous 0, so --keep 1 keeps one other set", () => {
    const drops = setsDroppedByKeep(sets, "target", { keepParkedSets: 1, keepPreviousMs: 0 });
    expect(ids(drops)).toEqual(["a"]);
  });
});

describe("which machines semfly parks suspended", () => {
  it("asks to suspend a machine well inside Fly's limits", () => {
    expect(suspendAllowed(config({ guest: { cpu_kind: "shared", cpus: 1, memory_mb: 256 } }))).toBe(
      true,
    );
    expect(suspendAllowed(config({}))).toBe(true);
  });

  it("parks stopped a machine over 2 GB, with a GPU, a volume or swap", () => {
    expect(suspendAllowed(config({ guest: { memory_mb: 4096 } }))).toBe(false);
    expect(
      suspendAllowed(config({ guest: { memory_mb: 1024, gpus: 1, gpu_kind: "a100-pcie-40gb" } })),
    ).toBe(false);
    expect(suspendAllowed(config({ mounts: [{ volume: "vol_1", path: "/data" }] }))).toBe(false);
    expect(suspendAllowed(config({ swap_size_mb: 512 }))).toBe(false);
  });
});

describe("where a parked set has fewer machines than serve now", () => {
  const at = (processGroup: string, region: string) => ({ processGroup, region });
  it("names each group and region short of machines, and nothing when the set is whole", () => {
    const serving = [at("app", "ams"), at("app", "ams"), at("app", "iad"), at("worker", "ams")];
    const whole = { machines: serving.map((m, i) => ({ ...m, id: `p${i}` })) } as never;
    expect(parkedShortfall(whole, serving)).toEqual([]);
    const short = {
      machines: [
        { ...at("app", "ams"), id: "p0" },
        { ...at("app", "iad"), id: "p1" },
      ],
    };
    expect(parkedShortfall(short as never, serving)).toEqual([
      { processGroup: "app", region: "ams", parked: 1, serving: 2 },
      { processGroup: "worker", region: "ams", parked: 0, serving: 1 },
    ]);
  });
});
