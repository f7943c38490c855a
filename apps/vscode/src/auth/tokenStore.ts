import { type AccessTokenSource, registerSecret, resolveAccessToken } from "@semfly/core";
import type * as vscode from "vscode";
import { TOKEN_SECRET_KEY } from "../constants.js";
import type { Emitter, EmitterFactory, Event } from "../model/events.js";
import { DisposableObject } from "../platform/lifecycle.js";
import type { Log } from "../platform/log.js";

export type TokenSource = "secret-storage" | AccessTokenSource;

export interface FlyToken {
  token: string;
  source: TokenSource;
  /** The config.yml it was read from, when `source` is "config". */
  file?: string | undefined;
}

export const TOKEN_SOURCE_NAMES: Record<TokenSource, string> = {
  "secret-storage": "VS Code's secret storage",
  flag: "the command line",
  FLY_ACCESS_TOKEN: "FLY_ACCESS_TOKEN",
  FLY_API_TOKEN: "FLY_API_TOKEN",
  config: "~/.fly/config.yml (fly auth login)",
};

/**
 * The Fly token: one set with "Set Fly API Token" (kept in SecretStorage, never in settings), else
 * whatever flyctl would use (FLY_ACCESS_TOKEN, FLY_API_TOKEN, ~/.fly/config.yml), found by core.
 */
export class TokenStore extends DisposableObject {
  private readonly changed: Emitter<void>;
  readonly onDidChange: Event<void>;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    emitters: EmitterFactory,
    private readonly log: Log,
  ) {
    super();
    this.changed = this.register(emitters<void>());
    this.onDidChange = this.changed.event;
    this.register(
      secrets.onDidChange((event) => {
        if (event.key === TOKEN_SECRET_KEY) this.changed.fire();
      }),
    );
  }

  async get(): Promise<FlyToken | null> {
    const stored = (await this.secrets.get(TOKEN_SECRET_KEY))?.trim();
    if (stored) {
      registerSecret(stored);
      return { token: stored, source: "secret-storage" };
    }
    try {
      return await resolveAccessToken({ env: process.env });
    } catch (error) {
      // An unreadable ~/.fly/config.yml: say so, and carry on as signed out.
      this.log.warn(
        `Could not read the flyctl token: ${error instanceof Error ? error.message : error}`,
      );
      return null;
    }
  }

  async store(token: string): Promise<void> {
    registerSecret(token.trim());
    await this.secrets.store(TOKEN_SECRET_KEY, token.trim());
  }

  /** Removes the stored token; returns the token semfly falls back to, if any. */
  async delete(): Promise<FlyToken | null> {
    await this.secrets.delete(TOKEN_SECRET_KEY);
    return this.get();
  }
}
