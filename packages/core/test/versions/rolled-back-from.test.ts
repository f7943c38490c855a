import { describe, expect, it } from "vitest";
import {
  buildVersionHistory,
  checkPromotable,
  resolveRollbackTarget,
  type SkippedCandidate,
} from "../../src/index.js";
import { acmeWebHistory, digestOf, release } from "../builders.js";

const app = "acme-web";

/** 3.1.12 went live, then semfly rolled back to 3.1.11: 3.1.12 is `previous`, and was judged bad. */
function rolledBack() {
  return buildVersionHistory({
    app,
    releases: [
      ...acmeWebHistory(),
      release({
        version: 28,
        reason: "rollback",
        imageRef: `registry.fly.io/acme-web@${digestOf("3.1.11")}`,
        imageDigest: digestOf("3.1.11"),
        metadata: { semfly: { version: "3.1.11", previousVersion: "3.1.12", kind: "rollback" } },
      }),
    ],
  });
}

describe("a version a rollback left", () => {
  it("is marked rolled back from while it is previous, and only then", () => {
    const history = rolledBack();
    const entry = history.versions.find((v) => v.version === "3.1.12")!;
    expect(entry).toMatchObject({ status: "previous", rolledBackFrom: true });
    expect(history.versions.filter((v) => v.rolledBackFrom).map((v) => v.version)).toEqual([
      "3.1.12",
    ]);
  });

  it("is never what a range picks: ^3.1 goes to the version below, and says why it skipped it", () => {
    const skipped: SkippedCandidate[] = [];
    const target = resolveRollbackTarget(rolledBack(), { spec: "^3.1" }, (s) => skipped.push(s));
    expect(target.version).toBe("3.1.10");
    expect(skipped).toEqual([
      { version: "3.1.12", why: "rolled back from (name it exactly to go back to it)" },
    ]);
  });

  it("stays the target when named exactly, and of previous (the undo of that rollback)", () => {
    expect(resolveRollbackTarget(rolledBack(), { spec: "3.1.12" }).version).toBe("3.1.12");
    expect(resolveRollbackTarget(rolledBack(), { spec: "previous" }).version).toBe("3.1.12");
  });

  it("cannot be promoted from staging without --force", () => {
    const entry = rolledBack().versions.find((v) => v.version === "3.1.12")!;
    expect(() => checkPromotable("acme-web-staging", entry)).toThrow(
      "3.1.12 was rolled back from there: acme-web-staging never showed it healthy.",
    );
  });
});
