import { Command, Errors } from "@oclif/core";
import type { ResolvedAccessToken, VersionHistory } from "@semfly/core";
import { debugEnabled, describeError } from "./errors.js";
import { outputModes, sharedFlags } from "./flags.js";
import { toJson } from "./render/format.js";
import { type Terminal, terminalOf } from "./render/terminal.js";
import { currentTime } from "./render/time.js";
import { type Connection, type CoreModule, openSession } from "./session.js";

export { sharedFlags } from "./flags.js";
export type { Connection, CoreModule } from "./session.js";

export abstract class BaseCommand extends Command {
  static override baseFlags = sharedFlags;

  /** Aborted when the command ends, so a request still in flight after a failure stops with it. */
  private readonly done = new AbortController();
  private redact: ((text: string) => string) | undefined;
  /** Where the token came from: a refusal of a token from flyctl's config.yml is explained as an expiry. */
  private token: ResolvedAccessToken | null = null;

  /** From argv, so that errors while parsing flags already follow --json and --verbose. */
  protected jsonMode = false;
  protected verboseMode = false;

  override async init(): Promise<void> {
    await super.init();
    const modes = outputModes(this.argv);
    this.jsonMode = modes.json;
    this.verboseMode = modes.verbose;
  }

  /**
   * For commands without arguments, which are not strict so that oclif does not read a stray word as part
   * of the command's name (`semfly versions acme-web` would otherwise be "not a semfly command").
   */
  protected refuseArguments(argv: string[]): void {
    if (argv.length === 0) return;
    const error = new Errors.CLIError(
      `Unexpected argument${argv.length === 1 ? "" : "s"}: ${argv.map((arg) => JSON.stringify(arg)).join(" ")}`,
    );
    throw Object.assign(error, {
      parse: {},
      suggestion: `\`${this.config.bin} ${this.id}\` takes no arguments; name the app with --app ${argv[0]}.`,
    });
  }

  protected get signal(): AbortSignal {
    return this.done.signal;
  }

  override async finally(error: Error | undefined): Promise<void> {
    this.done.abort();
    await super.finally(error);
  }

  protected get debugging(): boolean {
    return this.verboseMode || debugEnabled(process.env.DEBUG);
  }

  /** The core library, loaded on first use: help and parse errors never pay for it. */
  protected core(): Promise<CoreModule> {
    return import("@semfly/core");
  }

  /** Resolve app, token and endpoints (flag → env → fly.toml / ~/.fly/config.yml) and make a client. */
  protected async connect(flags: {
    app?: string | undefined;
    "access-token"?: string | undefined;
  }): Promise<Connection> {
    const core = await this.core();
    this.redact = core.redact;
    const debug = this.debugging ? (line: string) => this.debugLine(line) : undefined;
    const session = await openSession(core, {
      flags,
      env: process.env,
      userAgent: this.config.userAgent,
      debug,
    });
    this.token = session.token;
    return session.connection;
  }

  /** The app's version history: releases (finished ones from the cache) and machines, in parallel. */
  protected async loadHistory(connection: Connection): Promise<VersionHistory> {
    const history = await connection.core.loadVersionHistory(connection.client, connection.app, {
      signal: this.signal,
      cache: connection.cache,
      endpoint: connection.endpoint,
      labels: connection.core.defaultLabelSource(connection.client, connection.registry),
    });
    for (const warning of history.warnings) {
      this.err(this.terminal(process.stderr).colors.yellow(`Warning: ${warning}`));
    }
    return history;
  }

  protected debugLine(line: string): void {
    // Lines about requests cut short by the command's end are noise, not news.
    if (this.done.signal.aborted || !this.redact) return;
    process.stderr.write(`semfly:http ${this.redact(line)}\n`);
  }

  /** Where human output goes: width from COLUMNS or the terminal, colours unless NO_COLOR or a pipe. */
  protected terminal(stream: NodeJS.WriteStream = process.stdout): Terminal {
    return terminalOf(stream, process.env);
  }

  protected now(): number {
    return currentTime(process.env);
  }

  protected out(text: string): void {
    process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  protected err(text: string): void {
    process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  protected outJson(value: unknown): void {
    process.stdout.write(toJson(value));
  }

  /**
   * Every failure ends here: one line and a suggestion on stderr (with --json, also `{error}` on stdout),
   * the stack only when debugging, the token never, and exit 2 for bad input or 1 for anything else.
   */
  override async catch(error: Error & { oclif?: { exit?: number } }): Promise<never> {
    if (error instanceof Errors.ExitError) throw error;
    const { redact, explainTokenRejection } = await this.core();
    const described = describeError(
      explainTokenRejection(error, this.token),
      this.id ?? "",
      this.config.bin,
    );
    const message = redact(described.message);
    const suggestion = described.suggestion ? redact(described.suggestion) : null;
    const colors = this.terminal(process.stderr).colors;
    process.stderr.write(
      `${colors.red(`Error: ${message}`)}\n${suggestion ? `  ${suggestion}\n` : ""}`,
    );
    if (this.debugging) {
      let current: unknown = error;
      for (let depth = 0; current instanceof Error && depth < 5; depth++) {
        process.stderr.write(`${redact(current.stack ?? String(current))}\n`);
        current = current.cause;
      }
    }
    if (this.jsonMode) {
      this.outJson({ error: { code: described.code, message, suggestion } });
    }
    return this.exit(described.exitCode);
  }
}
