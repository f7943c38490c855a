import { createFileReleaseCache, loadVersionHistory } from "@semfly/core";
import * as vscode from "vscode";
import { AppDiscovery } from "./apps/appDiscovery.js";
import { FlySession } from "./auth/flySession.js";
import { TokenStore } from "./auth/tokenStore.js";
import { registerCommands } from "./commands/index.js";
import { DiffDocuments } from "./diff/diffDocuments.js";
import type { EmitterFactory } from "./model/events.js";
import { VersionsModel } from "./model/versionsModel.js";
import { Log } from "./platform/log.js";
import { WorkspaceState } from "./state/workspaceState.js";
import { VersionsTreeProvider } from "./tree/versionsTreeProvider.js";
import { VersionsView } from "./tree/versionsView.js";
import { VscodePromoteUi } from "./ui/promoteUi.js";
import { type RollbackUi, type RolloutUi, VscodeRollbackUi } from "./ui/rollbackUi.js";
import { LiveVersionStatusBar } from "./ui/statusBar.js";

/** Hooks for the integration tests, returned from activate() only when VS Code runs extension tests. */
export interface SemflyTestApi {
  model: VersionsModel;
  provider: VersionsTreeProvider;
  state: WorkspaceState;
  /** Answer the rollback modal and drive its progress in place of the user; undefined restores the real UI. */
  setRollbackUi(ui: RollbackUi | undefined): void;
  /** The same for "Promote to …": answer its modal, drive its progress; undefined restores the real UI. */
  setPromoteUi(ui: RolloutUi | undefined): void;
  /** Where VS Code writes this extension's logs, the "semfly" output channel's file among them. */
  logUri: vscode.Uri;
}

const emitters: EmitterFactory = () => new vscode.EventEmitter();

export function activate(context: vscode.ExtensionContext): { testing: SemflyTestApi } | undefined {
  const own = <T extends vscode.Disposable>(disposable: T): T => {
    context.subscriptions.push(disposable);
    return disposable;
  };
  const version = String(context.extension.packageJSON.version ?? "0.0.0");

  const log = own(new Log());
  const tokens = own(new TokenStore(context.secrets, emitters, log));
  const session = new FlySession(tokens, log, `semfly-vscode/${version}`);
  // Finished releases never change: core keeps them in the extension's global storage between loads.
  const releaseCache = createFileReleaseCache(context.globalStorageUri.fsPath);
  const model = own(
    new VersionsModel({
      emitters,
      load: async (app, signal) => {
        const { client, endpoints, explain } = await session.connect();
        try {
          return await loadVersionHistory(client, app, {
            signal,
            cache: releaseCache,
            endpoint: endpoints.apiBaseUrl,
          });
        } catch (error) {
          throw explain(error);
        }
      },
    }),
  );
  const discovery = own(new AppDiscovery(emitters, log));
  const state = own(new WorkspaceState(model, tokens, discovery, session, log, emitters));
  const provider = own(new VersionsTreeProvider(model, () => state.canShow));
  own(state.onDidChange(() => provider.refresh()));
  const view = own(
    new VersionsView(provider, () => (state.canShow ? model.refresh() : Promise.resolve())),
  );
  own(model.onDidChange(() => view.markFresh()));
  own(new LiveVersionStatusBar(model));
  const diffs = own(new DiffDocuments());

  const realUi = new VscodeRollbackUi(log);
  let rollbackUi: RollbackUi = realUi;
  let promoteUi: RolloutUi | undefined;
  own(
    registerCommands({
      model,
      session,
      tokens,
      diffs,
      log,
      rollbackUi: () => rollbackUi,
      promoteUi: (source) => promoteUi ?? new VscodePromoteUi(log, source),
      sync: () => state.sync(),
    }),
  );

  log.info(`semfly ${version} activated`);
  void state.sync();

  if (context.extensionMode !== vscode.ExtensionMode.Test) return undefined;
  return {
    testing: {
      model,
      provider,
      state,
      setRollbackUi: (ui) => {
        rollbackUi = ui ?? realUi;
      },
      setPromoteUi: (ui) => {
        promoteUi = ui;
      },
      logUri: context.logUri,
    },
  };
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions.
}
