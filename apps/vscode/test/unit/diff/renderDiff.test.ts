import { diffVersions } from "@semfly/core";
import { describe, expect, it } from "vitest";
import { renderVersionDiff } from "../../../src/diff/renderDiff.js";
import { demoHistory } from "../builders.js";

describe("the Compare with Live document", () => {
  const history = demoHistory();
  const live = history.live!;
  const older = history.versions.find((v) => v.version === "3.1.11")!;

  it("is a unified diff from the live version to the compared one", () => {
    const text = renderVersionDiff(
      diffVersions({
        history,
        a: live,
        b: older,
        configs: {
          a: { image: "x", guest: { memory_mb: 512 } },
          b: { image: "y", guest: { memory_mb: 256 } },
        },
      }),
    );
    expect(text.split("\n").slice(0, 2)).toEqual([
      "--- acme-web 3.2.0 (live)",
      "+++ acme-web 3.1.11 (superseded)",
    ]);
    expect(text).toContain("- version: 3.2.0\n+ version: 3.1.11");
    expect(text).toContain("- guest.memory_mb: 512\n+ guest.memory_mb: 256");
    expect(text).toContain("@@ Fly releases in between (newest first) @@");
  });

  it("says when no machine config of a version is left", () => {
    const text = renderVersionDiff(
      diffVersions({ history, a: live, b: older, configs: { a: { image: "x" }, b: null } }),
    );
    expect(text).toContain("(no machine config that ran 3.1.11 is left in the machines' history)");
  });
});
