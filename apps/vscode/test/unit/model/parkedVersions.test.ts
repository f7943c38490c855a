import { describe, expect, it } from "vitest";
import { instantSet, parkedVersions } from "../../../src/model/parkedVersions.js";
import { NOW } from "../builders.js";
import { PARKED_UNTIL, parkedHistory } from "../parkedWorld.js";

const keyOf = (version: string) => parkedHistory().versions.find((v) => v.version === version)!.key;

describe("parked sets by version", () => {
  it("puts each parked set under the version whose digest it runs, with its machines", () => {
    const { byVersion } = parkedVersions(parkedHistory(), NOW);
    const sets = byVersion.get(keyOf("3.1.11"))!;
    expect(sets).toHaveLength(1);
    expect(sets[0]!.set).toMatchObject({ set: "bg-311", expiresAt: PARKED_UNTIL, expired: false });
    expect(sets[0]!.machines.map((m) => m.id).sort()).toEqual(["p1", "p2"]);
    expect(byVersion.get(keyOf("3.0.0"))![0]!.set.expired).toBe(true);
    expect(byVersion.has(keyOf("3.2.0"))).toBe(false);
  });

  it("leaves a set no version of the history runs, and other unmanaged machines, among the unmanaged", () => {
    const { unmanaged } = parkedVersions(parkedHistory(), NOW);
    expect(unmanaged.map((u) => u.machine.id).sort()).toEqual(["p9", "u1"]);
    expect(unmanaged.find((u) => u.machine.id === "p9")!.reason).toBe(
      `parked until ${PARKED_UNTIL}`,
    );
  });

  it("offers an instant rollback only to an unexpired set", () => {
    const { byVersion } = parkedVersions(parkedHistory(), NOW);
    expect(instantSet(byVersion.get(keyOf("3.1.11"))!)?.set.set).toBe("bg-311");
    expect(instantSet(byVersion.get(keyOf("3.0.0"))!)).toBeUndefined();
  });

  it("reads a set as expired once its time has come", () => {
    const later = Date.parse(PARKED_UNTIL);
    const sets = parkedVersions(parkedHistory(), later).byVersion.get(keyOf("3.1.11"))!;
    expect(sets[0]!.set.expired).toBe(true);
    expect(instantSet(sets)).toBeUndefined();
  });
});
