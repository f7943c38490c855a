import { describe, expect, it } from "vitest";
import type { SemflyError } from "../../src/index.js";
import { refuseBluegreen } from "../../src/rollout/bluegreen-rules.js";
import type { PlannedMachine } from "../../src/rollout/plan.js";

const withChecks = {
  image: "registry.fly.io/acme-web:3.2.0",
  services: [{ internal_port: 8080, checks: [{ type: "http", path: "/health" }] }],
};

function planned(config: PlannedMachine["currentConfig"]): PlannedMachine {
  return {
    id: "148e272f6d4d89",
    name: "green-star-4417",
    region: "ams",
    processGroup: "app",
    state: "started",
    instanceId: "01JV8Q2M3T6Y9C4B7N1K5H0R2X",
    from: null,
    currentConfig: config,
    targetConfig: config,
    configSource: "current",
    cold: false,
  };
}

function refusal(machines: PlannedMachine[]): SemflyError | null {
  try {
    refuseBluegreen(machines);
    return null;
  } catch (error) {
    return error as SemflyError;
  }
}

describe("when bluegreen may run", () => {
  it("runs for machines with a service check and no volume", () => {
    expect(refusal([planned(withChecks)])).toBeNull();
  });

  it("refuses a machine with a volume, in one line, as bad input", () => {
    const error = refusal([
      planned({ ...withChecks, mounts: [{ volume: "vol_1", path: "/data" }] }),
    ]);
    expect(error?.code).toBe("BLUEGREEN_VOLUMES");
    expect(error?.exitCode).toBe(2);
    expect(error?.message).toContain("148e272f6d4d89 has a volume");
  });

  it("refuses an app with no health check at all", () => {
    const error = refusal([planned({ image: "registry.fly.io/acme-web:3.2.0" })]);
    expect(error?.code).toBe("BLUEGREEN_NO_CHECKS");
    expect(error?.message).not.toContain("\n");
  });
});
