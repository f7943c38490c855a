import {
  createFlyClient,
  explainTokenRejection,
  type FlyClient,
  type FlyEndpoints,
  inputError,
} from "@semfly/core";
import * as vscode from "vscode";
import { readEndpoints } from "../config/settings.js";
import type { Log } from "../platform/log.js";
import { type FlyToken, TOKEN_SOURCE_NAMES, type TokenStore } from "./tokenStore.js";

export interface FlyConnection {
  client: FlyClient;
  endpoints: FlyEndpoints;
  /**
   * The error to show for a failure of this connection's calls: Fly refusing the token `fly auth login`
   * saved is explained as an expired login, with how to refresh it.
   */
  explain(error: unknown): unknown;
}

function explainer(token: FlyToken): (error: unknown) => unknown {
  const fromFile = token.source === "config" ? { ...token, source: "config" as const } : null;
  return (error) => explainTokenRejection(error, fromFile);
}

/**
 * Hands out a Fly client, and is the one place that decides whether the token may be used: never in
 * an untrusted workspace, and only towards the endpoints of the user's own settings.
 */
export class FlySession {
  private cached: { key: string; connection: FlyConnection } | undefined;

  constructor(
    private readonly tokens: TokenStore,
    private readonly log: Log,
    private readonly userAgent: string,
  ) {}

  async client(): Promise<FlyClient> {
    return (await this.connect()).client;
  }

  async connect(): Promise<FlyConnection> {
    if (!vscode.workspace.isTrusted) {
      throw inputError(
        "WORKSPACE_UNTRUSTED",
        "semfly does not use your Fly token in an untrusted workspace.",
        "Trust the workspace (Manage Workspace Trust) to see and roll back versions.",
      );
    }
    const token = await this.tokens.get();
    if (!token) {
      throw inputError(
        "NOT_SIGNED_IN",
        "No Fly API token found.",
        "Run “semfly: Set Fly API Token”, set FLY_API_TOKEN, or run `fly auth login`.",
      );
    }
    const endpoints = readEndpoints(this.log);
    // The token is part of the cache key only in memory; it is never logged.
    const key = JSON.stringify([token.token, endpoints]);
    if (this.cached?.key !== key) {
      this.log.info(
        `Using the Fly token from ${TOKEN_SOURCE_NAMES[token.source]} with ${endpoints.apiBaseUrl}, ${endpoints.flapsBaseUrl}, ${endpoints.uiexBaseUrl}`,
      );
      const client = createFlyClient({
        token: token.token,
        ...endpoints,
        userAgent: this.userAgent,
        debug: (line) => this.log.debug(line),
      });
      this.cached = { key, connection: { client, endpoints, explain: explainer(token) } };
    }
    return this.cached.connection;
  }

  /** Forget the client (token or endpoints changed). */
  reset(): void {
    this.cached = undefined;
  }
}
