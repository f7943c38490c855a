import type { PromoteSource } from "@semfly/core";
import type { FlySession } from "../auth/flySession.js";
import type { TokenStore } from "../auth/tokenStore.js";
import type { DiffDocuments } from "../diff/diffDocuments.js";
import type { VersionsModel } from "../model/versionsModel.js";
import type { Log } from "../platform/log.js";
import type { RollbackUi, RolloutUi } from "../ui/rollbackUi.js";

/** What command handlers work with; extension.ts builds it once. */
export interface CommandContext {
  model: VersionsModel;
  session: FlySession;
  tokens: TokenStore;
  diffs: DiffDocuments;
  log: Log;
  /** Read on every rollback, so the tests can swap it. */
  rollbackUi: () => RollbackUi;
  /** The promote's modal, progress and result for one promotion; swappable by the tests too. */
  promoteUi: (source: PromoteSource) => RolloutUi;
  /** Re-read token and apps, update the context keys, and reload. */
  sync: () => Promise<void>;
}
