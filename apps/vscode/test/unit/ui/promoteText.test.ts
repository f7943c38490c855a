import { planRollout } from "@semfly/core";
import { describe, expect, it } from "vitest";
import { promoteConfirmation } from "../../../src/ui/promoteText.js";
import { demoHistory, machine } from "../builders.js";

const history = demoHistory([
  machine("m1", "v3.1.11"),
  machine("m2", "v3.1.11", { region: "fra" }),
]);
const DIGEST = `sha256:${"a".repeat(64)}`;
const plan = planRollout({
  history,
  target: {
    key: "3.3.0",
    version: "3.3.0",
    digest: DIGEST,
    imageRef: `registry.fly.io/acme-web-staging@${DIGEST}`,
  },
  kind: "deploy",
  image: `registry.fly.io/acme-web-staging@${DIGEST}`,
});

describe("the promote confirmation", () => {
  it("names the staging app and release, the exact image and the preflight", () => {
    const { message, detail } = promoteConfirmation(
      plan,
      {
        promotedFrom: { app: "acme-web-staging", release: 12, digest: DIGEST },
        imageRef: `registry.fly.io/acme-web-staging@${DIGEST}`,
      },
      { migrations: [], secrets: null, volumes: [], unknown: [] },
    );
    expect(message).toBe("Promote 3.3.0 from acme-web-staging to acme-web?");
    expect(detail.split("\n")).toEqual([
      `acme-web runs ${plan.from?.version} now; 2 machines will be updated (rolling).`,
      `Image: registry.fly.io/acme-web-staging@${DIGEST} (live in acme-web-staging since release v12)`,
      "A machine that fails its checks puts every changed machine back.",
      "",
      "Migrations crossed: none found.",
    ]);
  });

  it("says the release command runs first, and the plan's warnings and notes", () => {
    const withCommand = {
      ...plan,
      releaseCommand: { command: "bin/migrate" },
      warnings: ["m9 is on an unreachable host"],
      notes: ["2 machines are cold: updated without starting"],
    };
    const { detail } = promoteConfirmation(
      withCommand,
      {
        promotedFrom: { app: "acme-web-staging", release: 12, digest: DIGEST },
        imageRef: `registry.fly.io/acme-web-staging@${DIGEST}`,
      },
      { migrations: [], secrets: null, volumes: [], unknown: [] },
    );
    const lines = detail.split("\n");
    expect(lines).toContain(
      "Release command: bin/migrate runs on a temporary machine first (it usually migrates the database).",
    );
    expect(lines).toContain("Warning: m9 is on an unreachable host");
    expect(lines).toContain("2 machines are cold: updated without starting");
  });
});
