import { describe, expect, it } from "vitest";
import { statusBarContent } from "../../../src/ui/statusBarContent.js";
import { demoHistory, machine, NOW } from "../builders.js";

const app = { name: "acme-web", sources: [] };

describe("the status bar", () => {
  it("shows the live version of the workspace's app", () => {
    const content = statusBarContent({
      app,
      load: { state: "loaded", history: demoHistory(), loadedAt: NOW },
    });
    expect(content).toMatchObject({ text: "$(cloud) acme-web 3.2.0", warning: false });
  });

  it("warns when machines drift", () => {
    const history = demoHistory([machine("m1", "v3.2.0"), machine("m2", "v3.1.11")]);
    const content = statusBarContent({ app, load: { state: "loaded", history, loadedAt: NOW } });
    expect(content).toMatchObject({ text: "$(warning) acme-web 3.2.0", warning: true });
    expect(content?.tooltip).toContain("1 of 2 machines run another version");
  });

  it("spins while the first load runs, and hides without an app", () => {
    expect(statusBarContent({ app, load: { state: "loading", previous: undefined } })?.text).toBe(
      "$(sync~spin) acme-web",
    );
    expect(statusBarContent(undefined)).toBeNull();
    expect(statusBarContent({ app, load: { state: "idle" } })).toBeNull();
  });
});
