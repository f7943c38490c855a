import { describe, expect, it } from "vitest";
import { bindingOf, changesSince, type PlanBinding } from "../../src/index.js";
import { historyOf, rollbackFrom } from "./world.js";

const base = (): PlanBinding => {
  const { plan, history } = rollbackFrom(historyOf());
  return bindingOf(plan, history);
};

describe("changesSince", () => {
  it("finds nothing between a binding and itself", () => {
    expect(changesSince(base(), base())).toEqual([]);
  });

  it("names a target that resolves to another image now, and a live version that moved", () => {
    const now = base();
    now.target = {
      key: "3.1.10",
      digest: "sha256:other",
      image: "registry.fly.io/acme-web@sha256:other",
    };
    now.from = { key: "3.1.11", digest: "sha256:live" };
    expect(changesSince(base(), now)).toEqual([
      `the target 3.1.11 now resolves to 3.1.10 (sha256:other), not ${base().target.digest}`,
      "the live version moved from 3.1.12 to 3.1.11",
    ]);
  });

  it("names every machine that changed, went or came, in id order", () => {
    const now = base();
    now.machines = [
      { id: "m1", instanceId: "01HVM1-B", planned: true },
      { id: "m3", instanceId: "01HVM3", planned: true },
      { id: "m9", instanceId: "01HVM9", planned: true },
    ];
    expect(changesSince(base(), now)).toEqual([
      "machine m1 changed (config version 01HVM1 → 01HVM1-B)",
      "machine m2 is gone",
      "machine m9 is new",
    ]);
  });
});
