import { readAppNameFromFlyToml } from "@semfly/core";
import * as vscode from "vscode";
import { affects, readConfiguredApps } from "../config/settings.js";
import { Settings } from "../constants.js";
import type { Emitter, EmitterFactory, Event } from "../model/events.js";
import { DisposableObject } from "../platform/lifecycle.js";
import type { Log } from "../platform/log.js";
import { type AppRef, type FlyTomlApp, mergeApps } from "./mergeApps.js";

const FLY_TOML_GLOB = "**/fly.toml";
const EXCLUDE_GLOB = "**/{node_modules,.git,dist}/**";
const MAX_FLY_TOML_FILES = 50;

/** Finds the apps to show: every fly.toml's `app` in the workspace, plus the semfly.apps setting. */
export class AppDiscovery extends DisposableObject {
  private readonly changed: Emitter<void>;
  /** Fires when a fly.toml, the workspace folders or the setting changed. */
  readonly onDidChange: Event<void>;

  constructor(
    emitters: EmitterFactory,
    private readonly log: Log,
  ) {
    super();
    this.changed = this.register(emitters<void>());
    this.onDidChange = this.changed.event;
    const watcher = this.register(vscode.workspace.createFileSystemWatcher(FLY_TOML_GLOB));
    const fire = () => this.changed.fire();
    this.register(watcher.onDidCreate(fire));
    this.register(watcher.onDidChange(fire));
    this.register(watcher.onDidDelete(fire));
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(fire));
    this.register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (affects(event, Settings.apps)) fire();
      }),
    );
  }

  async find(): Promise<AppRef[]> {
    const found: FlyTomlApp[] = [];
    const files = await vscode.workspace.findFiles(FLY_TOML_GLOB, EXCLUDE_GLOB, MAX_FLY_TOML_FILES);
    for (const uri of files) {
      const name = vscode.workspace.asRelativePath(uri);
      try {
        const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
        found.push({ name: readAppNameFromFlyToml(text, name), file: uri.fsPath });
      } catch (error) {
        this.log.warn(`Skipped ${name}: ${error instanceof Error ? error.message : error}`);
      }
    }
    return mergeApps(found, readConfiguredApps());
  }
}
