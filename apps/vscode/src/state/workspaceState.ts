import * as vscode from "vscode";
import type { AppDiscovery } from "../apps/appDiscovery.js";
import type { FlySession } from "../auth/flySession.js";
import type { TokenStore } from "../auth/tokenStore.js";
import { affectsEndpoints } from "../config/settings.js";
import { ContextKeys, MenuContextKeys } from "../constants.js";
import type { Emitter, EmitterFactory, Event } from "../model/events.js";
import type { VersionsModel } from "../model/versionsModel.js";
import { DisposableObject } from "../platform/lifecycle.js";
import type { Log } from "../platform/log.js";

/**
 * Whether there is anything to show (trust, token, apps), kept in the context keys the manifest's
 * welcome views read, and the reloads that follow when one of them changes.
 */
export class WorkspaceState extends DisposableObject {
  private signedIn = false;
  private running: Promise<void> = Promise.resolve();
  private readonly changed: Emitter<void>;
  readonly onDidChange: Event<void>;

  constructor(
    private readonly model: VersionsModel,
    private readonly tokens: TokenStore,
    private readonly discovery: AppDiscovery,
    private readonly session: FlySession,
    private readonly log: Log,
    emitters: EmitterFactory,
  ) {
    super();
    this.changed = this.register(emitters<void>());
    this.onDidChange = this.changed.event;
    this.register(tokens.onDidChange(() => this.tokenChanged()));
    this.register(discovery.onDidChange(() => void this.serialize(() => this.syncApps())));
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(() => void this.sync()));
    this.register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (!affectsEndpoints(event)) return;
        this.log.info("Fly API endpoints changed in the user settings: reloading");
        this.session.reset();
        void this.model.refresh();
      }),
    );
  }

  /** Trusted, signed in, and at least one app: the tree shows apps rather than a welcome view. */
  get canShow(): boolean {
    return vscode.workspace.isTrusted && this.signedIn && this.model.apps.length > 0;
  }

  get isSignedIn(): boolean {
    return this.signedIn;
  }

  /** Look for the token and the apps again, then reload every app. */
  sync(): Promise<void> {
    return this.serialize(async () => {
      this.signedIn = (await this.tokens.get()) !== null;
      await this.syncApps(false);
      if (this.canShow) await this.model.refresh();
    });
  }

  private tokenChanged(): void {
    this.session.reset();
    void this.sync();
  }

  private async syncApps(loadNew = true): Promise<void> {
    const apps = await this.discovery.find();
    const added = this.model.setApps(apps);
    await this.publish();
    if (loadNew && this.canShow) await Promise.all(added.map((app) => this.model.refresh(app)));
  }

  private async publish(): Promise<void> {
    await Promise.all([
      vscode.commands.executeCommand("setContext", ContextKeys.signedIn, this.signedIn),
      vscode.commands.executeCommand("setContext", ContextKeys.hasApps, this.model.apps.length > 0),
      vscode.commands.executeCommand(
        "setContext",
        MenuContextKeys.multipleApps,
        this.model.apps.length > 1,
      ),
      vscode.commands.executeCommand("setContext", ContextKeys.ready, true),
    ]);
    this.changed.fire();
  }

  /** One sync at a time, in order: a token change during a sync must not be overtaken by it. */
  private serialize(task: () => Promise<void>): Promise<void> {
    const next = this.running.then(task, task).catch((error: unknown) => {
      this.log.error("Could not look for the Fly token and apps", error);
    });
    this.running = next;
    return next;
  }
}
