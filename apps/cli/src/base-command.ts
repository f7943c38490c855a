import { Command, Errors, Flags } from "@oclif/core";
import type {
  FlyClient,
  RegistryClient,
  ReleaseCache,
  ResolvedAccessToken,
  VersionHistory,
} from "@semfly/core";
import { debugEnabled, describeError } from "./errors.js";
import { toJson } from "./render/format.js";
import { type Terminal, terminalOf } from "./render/terminal.js";
import { currentTime } from "./render/time.js";

export type CoreModule = typeof import("@semfly/core");

/** Flags every command takes, spelled the same everywhere. */
export const sharedFlags = {
  app: Flags.string({
    char: "a",
    summary: "Fly app name (default: FLY_APP, then `app` in ./fly.toml).",
    helpValue: "<name>",
  }),
  json: Flags.boolean({
    char: "j",
    summary: "Print JSON on stdout and nothing else (progress and errors go to stderr).",
  }),
  "access-token": Flags.string({
    char: "t",
    summary: "Fly API token (default: FLY_ACCESS_TOKEN, FLY_API_TOKEN, then ~/.fly/config.yml).",
    helpValue: "<token>",
  }),
  verbose: Flags.boolean({
    summary: "Log every request to stderr and show stack traces (also DEBUG=semfly*).",
  }),
};

export interface Connection {
  core: CoreModule;
  app: string;
  client: FlyClient;
  /** Finished releases kept between runs (release data only, never a token); off with SEMFLY_NO_CACHE=1. */
  cache: ReleaseCache | undefined;
  /** The GraphQL endpoint: part of the cache key, so the emulator and Fly never share a cache. */
  endpoint: string;
  /** OCI registries: registry.fly.io with the Fly token, others with ~/.docker/config.json credentials. */
  registry: RegistryClient;
}

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
    const end = this.argv.indexOf("--");
    const flags = end === -1 ? this.argv : this.argv.slice(0, end);
    this.jsonMode = flags.includes("--json") || flags.includes("-j");
    this.verboseMode = flags.includes("--verbose");
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
    const endpoints = core.resolveEndpoints(process.env);
    const token = await core.resolveAccessToken({ flag: flags["access-token"], env: process.env });
    this.token = token;
    const client = core.createFlyClient({
      token: token?.token ?? "",
      ...endpoints,
      userAgent: this.config.userAgent,
      debug: this.debugging ? (line) => this.debugLine(line) : undefined,
    });
    const { app } = await core.resolveAppName({ flag: flags.app, env: process.env });
    const cache = process.env.SEMFLY_NO_CACHE
      ? undefined
      : core.createFileReleaseCache(core.defaultCacheDir(process.env));
    const registry = core.createRegistryClient({
      flyToken: token?.token,
      baseUrl: core.resolveRegistryBaseUrl(process.env),
      dockerConfig: { env: process.env },
      userAgent: this.config.userAgent,
      debug: this.debugging ? (line) => this.debugLine(line) : undefined,
    });
    return { core, app, client, cache, endpoint: endpoints.apiBaseUrl, registry };
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
