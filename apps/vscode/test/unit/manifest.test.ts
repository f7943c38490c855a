import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  Commands,
  ContextKeys,
  ENDPOINT_SETTINGS,
  Settings,
  VERSIONS_VIEW_ID,
  VIEW_CONTAINER_ID,
} from "../../src/constants.js";
import { AppNode } from "../../src/tree/nodes/appNode.js";
import { demoHistory, NOW } from "./builders.js";
import { parkedHistory } from "./parkedWorld.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));

interface MenuEntry {
  command: string;
  when?: string;
  group?: string;
}

const commandIds = Object.values(Commands);
const contributed: string[] = manifest.contributes.commands.map(
  (c: { command: string }) => c.command,
);
const menus: Record<string, MenuEntry[]> = manifest.contributes.menus;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? sourceFiles(file) : file.endsWith(".ts") ? [file] : [];
  });
}

describe("commands", () => {
  it("contributes exactly the commands in constants.ts", () => {
    expect([...contributed].sort()).toEqual([...commandIds].sort());
  });

  it("registers a handler for every contributed command, and none that is not contributed", () => {
    // commands/index.ts maps each id to its handler in a Record<CommandId, Handler>; read its keys.
    const registry = readFileSync(path.join(root, "src/commands/index.ts"), "utf8");
    const keys = [...registry.matchAll(/\[Commands\.(\w+)\]:/g)].map(
      (m) => m[1] as keyof typeof Commands,
    );
    expect(keys.map((key) => Commands[key]).sort()).toEqual([...contributed].sort());
  });

  it("registers commands in one place only", () => {
    const registering = sourceFiles(path.join(root, "src")).filter((file) =>
      readFileSync(file, "utf8").includes("registerCommand("),
    );
    expect(registering.map((file) => path.relative(root, file))).toEqual(["src/commands/index.ts"]);
  });

  it("menus name only contributed commands (or the view's own focus command)", () => {
    for (const entries of Object.values(menus)) {
      for (const entry of entries) expect(contributed).toContain(entry.command);
    }
  });
});

describe("context menus keyed on contextValue", () => {
  const nodes = new AppNode(
    {
      app: { name: "acme-web", sources: [] },
      load: { state: "loaded", history: demoHistory(), loadedAt: NOW },
    },
    NOW,
  ).children();
  const contextOf = (label: string) =>
    nodes.find((n) => n.item().label === label)!.item().contextValue;

  function offered(command: string, contextValue: string): boolean {
    return menus["view/item/context"]!.filter((entry) => entry.command === command).some(
      (entry) => {
        const match = /viewItem =~ \/(.+?)\//.exec(entry.when ?? "");
        expect(entry.when).toContain(`view == ${VERSIONS_VIEW_ID}`);
        return match ? new RegExp(match[1]!).test(contextValue) : false;
      },
    );
  }

  it("does not offer Roll Back on the live version", () => {
    expect(offered(Commands.rollback, contextOf("3.2.0"))).toBe(false);
  });

  it("offers Roll Back, Compare with Live and Copy Image Digest on a previous good version", () => {
    for (const command of [Commands.rollback, Commands.compareWithLive, Commands.copyDigest]) {
      expect(offered(command, contextOf("3.1.11"))).toBe(true);
    }
  });

  it("does not offer Roll Back on a version that never deployed", () => {
    expect(offered(Commands.rollback, contextOf("3.1.0"))).toBe(false);
  });

  it("offers Refresh and Open in Fly Dashboard on an app", () => {
    const app = new AppNode(
      { app: { name: "acme-web", sources: [] }, load: { state: "idle" } },
      NOW,
    );
    expect(offered(Commands.openDashboard, app.item().contextValue)).toBe(true);
    expect(offered(Commands.refresh, app.item().contextValue)).toBe(true);
    expect(offered(Commands.rollback, app.item().contextValue)).toBe(false);
  });

  it("offers Roll Back Instantly, inline with a lightning icon, only on a version parked and not live", () => {
    const parked = new AppNode(
      {
        app: { name: "acme-web", sources: [] },
        load: { state: "loaded", history: parkedHistory(), loadedAt: NOW },
      },
      NOW,
    ).children();
    const of = (label: string) => parked.find((n) => n.item().label === label)!.item().contextValue;
    expect(offered(Commands.rollbackInstantly, of("3.1.11"))).toBe(true);
    // Expired (3.0.0), live (3.2.0), and 3.1.11 where nothing is parked (the demo history).
    expect(offered(Commands.rollbackInstantly, of("3.0.0"))).toBe(false);
    expect(offered(Commands.rollbackInstantly, of("3.2.0"))).toBe(false);
    expect(offered(Commands.rollbackInstantly, contextOf("3.1.11"))).toBe(false);
    const inline = menus["view/item/context"]!.filter(
      (e) => e.command === Commands.rollbackInstantly && e.group?.startsWith("inline"),
    );
    expect(inline).toHaveLength(1);
    const contribution = manifest.contributes.commands.find(
      (c: { command: string }) => c.command === Commands.rollbackInstantly,
    );
    expect(contribution).toMatchObject({ title: "Roll Back Instantly", icon: "$(zap)" });
  });

  it("hides commands that need a tree row from the command palette", () => {
    const hidden = menus.commandPalette!.filter((e) => e.when === "false").map((e) => e.command);
    expect(hidden.sort()).toEqual(
      [
        Commands.compareWithLive,
        Commands.copyDigest,
        Commands.promote,
        Commands.rollback,
        Commands.rollbackInstantly,
      ].sort(),
    );
  });
});

describe("view, welcome and activation", () => {
  it("contributes the Fly Versions container with the versions view", () => {
    expect(manifest.contributes.viewsContainers.activitybar).toEqual([
      expect.objectContaining({ id: VIEW_CONTAINER_ID, title: "Fly Versions" }),
    ]);
    expect(manifest.contributes.views[VIEW_CONTAINER_ID][0].id).toBe(VERSIONS_VIEW_ID);
  });

  it("activates on its view and in a workspace with a fly.toml, at the root or deeper (commands activate implicitly)", () => {
    // A Fly workspace gets the status bar (live version, freeze lock) without opening the view first.
    expect(manifest.activationEvents).toEqual([
      `onView:${VERSIONS_VIEW_ID}`,
      "workspaceContains:fly.toml",
      "workspaceContains:**/fly.toml",
    ]);
    expect(manifest.main).toBe("./dist/extension.js");
  });

  it("never activates on startup or on every file: only views, commands and fly.toml wake it", () => {
    const events: string[] = manifest.activationEvents;
    expect(events).not.toContain("*");
    expect(events).not.toContain("onStartupFinished");
    for (const event of events)
      expect(event).toMatch(/^(onView:|workspaceContains:(\*\*\/)?fly\.toml$)/);
  });

  it("explains what is missing: trust, token or app", () => {
    const welcome: { view: string; contents: string; when: string }[] =
      manifest.contributes.viewsWelcome;
    expect(welcome.every((w) => w.view === VERSIONS_VIEW_ID)).toBe(true);
    const whens = welcome.map((w) => w.when).join(" ");
    for (const key of Object.values(ContextKeys)) expect(whens).toContain(key);
    expect(welcome.find((w) => w.when.includes(`!${ContextKeys.signedIn}`))?.contents).toContain(
      `command:${Commands.setToken}`,
    );
  });

  it("declares limited support for untrusted workspaces", () => {
    expect(manifest.capabilities.untrustedWorkspaces.supported).toBe("limited");
  });
});

describe("settings", () => {
  const properties: Record<string, { scope?: string; type: string }> =
    manifest.contributes.configuration.properties;

  it("contributes exactly the settings in constants.ts", () => {
    const ids = Object.entries(Settings)
      .filter(([name]) => name !== "section")
      .map(([, key]) => `${Settings.section}.${key}`);
    expect(Object.keys(properties).sort()).toEqual(ids.sort());
  });

  it("scopes the API base URLs to the machine, so no workspace can set them", () => {
    for (const setting of ENDPOINT_SETTINGS) {
      expect(properties[`${Settings.section}.${setting}`]?.scope).toBe("machine");
    }
  });

  it("has no setting that could hold a token", () => {
    expect(Object.keys(properties).filter((key) => /token|secret/i.test(key))).toEqual([]);
  });
});
