import { describe, expect, it } from "vitest";
import type { AppState } from "../../../../src/model/versionsModel.js";
import { AppNode } from "../../../../src/tree/nodes/appNode.js";
import { demoHistory, machine, NOW } from "../../builders.js";

const app = { name: "acme-web", sources: [{ kind: "fly.toml" as const, file: "/ws/fly.toml" }] };
const node = (load: AppState["load"]) => new AppNode({ app, load }, NOW);

describe("app rows", () => {
  it("shows the live version at a glance", () => {
    const item = node({ state: "loaded", history: demoHistory(), loadedAt: NOW }).item();
    expect(item).toMatchObject({
      id: "app/acme-web",
      label: "acme-web",
      description: "live 3.2.0",
      icon: { id: "cloud" },
      contextValue: "semflyApp",
      collapsible: "expanded",
    });
    expect(item.tooltip).toContain("From fly.toml (`/ws/fly.toml`)");
  });

  it("warns when machines drift, naming the drifting group in the tooltip", () => {
    const history = demoHistory([
      machine("m1", "v3.2.0"),
      machine("m2", "v3.1.11", { region: "syd" }),
    ]);
    const item = node({ state: "loaded", history, loadedAt: NOW }).item();
    expect(item.description).toContain("drift");
    expect(item.icon).toEqual({ id: "warning", color: "charts.yellow" });
    expect(item.contextValue).toBe("semflyApp;drift");
    expect(item.tooltip).toContain("Drift: 1 app machine in syd runs");
  });

  it("names what could not be read in the tooltip, e.g. labels Fly would not give", () => {
    const history = demoHistory();
    history.warnings.push("Could not read the labels of 2 images (Fly refused)");
    const item = node({ state: "loaded", history, loadedAt: NOW }).item();
    expect(item.tooltip).toContain(
      "Warning: Could not read the labels of 2 images \\(Fly refused\\)",
    );
  });

  it("says it is loading before the first history arrives", () => {
    const loading = node({ state: "loading", previous: undefined });
    expect(loading.item().description).toBe("loading…");
    expect(loading.children().map((c) => c.item().label)).toEqual(["Loading versions…"]);
  });

  it("keeps showing the last versions while a refresh runs", () => {
    const refreshing = node({ state: "loading", previous: demoHistory() });
    expect(refreshing.item().description).toBe("live 3.2.0");
    expect(refreshing.children()).toHaveLength(5);
  });

  it("shows a load error as a row, with the suggestion in its tooltip", () => {
    const failed = node({
      state: "error",
      error: { message: "Fly rejected the token (401).", suggestion: "Run `fly auth login`." },
      previous: undefined,
    });
    expect(failed.item().description).toBe("could not load");
    const [row] = failed.children().map((c) => c.item());
    expect(row).toMatchObject({
      label: "Fly rejected the token (401).",
      contextValue: "semflyMessage",
    });
    expect(row?.tooltip).toBe("Run \\`fly auth login\\`\\.");
  });

  it("says so when an app has no release yet", () => {
    const empty = node({
      state: "loaded",
      history: { ...demoHistory([]), versions: [], live: null, previous: null },
      loadedAt: NOW,
    });
    expect(empty.children().map((c) => c.item().label)).toEqual(["No releases yet"]);
  });
});
