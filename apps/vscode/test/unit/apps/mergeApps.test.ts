import { describe, expect, it } from "vitest";
import { mergeApps } from "../../../src/apps/mergeApps.js";

describe("mergeApps", () => {
  it("lists fly.toml apps in path order, then the setting's, each app once", () => {
    const apps = mergeApps(
      [
        { name: "acme-worker", file: "/ws/worker/fly.toml" },
        { name: "acme-web", file: "/ws/fly.toml" },
      ],
      ["acme-admin", "acme-web", "  ", 42],
    );
    expect(apps).toEqual([
      {
        name: "acme-web",
        sources: [{ kind: "fly.toml", file: "/ws/fly.toml" }, { kind: "setting" }],
      },
      { name: "acme-worker", sources: [{ kind: "fly.toml", file: "/ws/worker/fly.toml" }] },
      { name: "acme-admin", sources: [{ kind: "setting" }] },
    ]);
  });

  it("returns nothing when there is no app anywhere", () => {
    expect(mergeApps([], [])).toEqual([]);
  });
});
