import type { PreparedRollout, VersionHistory } from "@semfly/core";
import type { Connection, CoreModule } from "../base-command.js";

/** What the tools need from the command that serves them: resolution stays in BaseCommand. */
export interface McpContext {
  core: CoreModule;
  bin: string;
  version: string;
  readOnly: boolean;
  planTtlMs: number;
  /** A connection to the app a tool names, else the server's --app, FLY_APP, then ./fly.toml. */
  connect(app: string | undefined): Promise<Connection>;
  /** Epoch milliseconds (SEMFLY_NOW freezes it for relative times; plan expiry uses the real clock). */
  now(): number;
  /** Aborted when the server shuts down (client gone, SIGINT, SIGTERM): rollouts stop as on Ctrl-C. */
  shutdown: AbortSignal;
}

export function loadHistory(connection: Connection, signal: AbortSignal): Promise<VersionHistory> {
  return connection.core.loadVersionHistory(connection.client, connection.app, {
    signal,
    cache: connection.cache,
    endpoint: connection.endpoint,
  });
}

/** Plans the same request again: the plan is refused at execution unless this plans the same thing. */
export type Replan = (signal: AbortSignal) => Promise<PreparedRollout>;
