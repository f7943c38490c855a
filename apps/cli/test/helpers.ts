import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Command, Config, type Interfaces, Plugin } from "@oclif/core";
import { runCommand } from "@oclif/test";
import { type Emulator, loadScenario, type Scenario, startEmulator } from "@semfly/fly-emulator";

export const CLI_ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * semfly's own commands, as the TypeScript in src/commands says they are: the plugin builds its manifest
 * (flags, help, summaries) from these classes instead of oclif.manifest.json, and runs them instead of the
 * bundle. oclif would load commands with Node's own import(), which vitest does not transform; this way
 * vitest loads them, so an in-process test always runs the source as it is now. The bundle is what the
 * child-process tests (test/reliability, help.test.ts) and the e2e suite run.
 */
class SourcePlugin extends Plugin {
  constructor(
    private readonly sources: Record<string, Command.Class>,
    pjson: Interfaces.PJSON,
  ) {
    super({ root: CLI_ROOT, isRoot: true, type: "core", ignoreManifest: true, pjson });
  }

  override async findCommand(id: string, opts: { must: true }): Promise<Command.Class>;
  override async findCommand(
    id: string,
    opts?: { must: boolean },
  ): Promise<Command.Class | undefined>;
  override async findCommand(id: string, opts?: { must: boolean }) {
    const command = this.sources[id];
    if (!command) {
      if (opts?.must) throw new Error(`command ${id} not found in src/commands`);
      return undefined;
    }
    command.id = id;
    command.plugin = this;
    return command;
  }
}

let sourceConfig: Promise<Config> | undefined;

/** The CLI's oclif config with its commands from src/commands and its plugins (help, …) as installed. */
function loadSourceConfig(): Promise<Config> {
  sourceConfig ??= (async () => {
    const dir = join(CLI_ROOT, "src", "commands");
    const sources: Record<string, Command.Class> = {};
    for (const file of (await readdir(dir)).filter((f) => f.endsWith(".ts"))) {
      const id = file.slice(0, -".ts".length);
      // A path, not a template: vitest's module runner transforms the TypeScript it points at.
      const module = (await import(/* @vite-ignore */ join(dir, file))) as {
        default: Command.Class;
      };
      sources[id] = module.default;
    }
    const pjson = JSON.parse(
      await readFile(join(CLI_ROOT, "package.json"), "utf8"),
    ) as Interfaces.PJSON;
    // The id list comes from the folder the classes came from, not from a built one.
    pjson.oclif.commands = "./src/commands";
    const root = new SourcePlugin(sources, pjson);
    await root.load();
    const installed = await Promise.all(
      (pjson.oclif.plugins ?? []).map(async (name) => {
        const plugin = new Plugin({ name, root: CLI_ROOT, type: "core" });
        await plugin.load();
        return plugin;
      }),
    );
    const plugins = new Map([root, ...installed].map((plugin) => [plugin.name, plugin]));
    return Config.load({ root: CLI_ROOT, pjson, plugins });
  })();
  return sourceConfig;
}

/** "Now" for relative times in asserted output: a week after the demo's last release. */
export const NOW = "2025-06-11T12:00:00Z";
export const WIDTH = 120;

/** A recognisable token the emulator accepts: it must never show up in any output. */
export const SECRET_TOKEN = "fm2_SENTINEL_s3cr3t_t0k3n_do_not_print";

/** The bundled demo (acme-web) plus an app without releases and a token the tests can look for. */
export async function demoScenario(): Promise<Scenario> {
  const scenario = await loadScenario("demo");
  scenario.apps.push({ name: "empty-app", organization: { slug: "acme" } });
  scenario.tokens = [...(scenario.tokens ?? []), { token: SECRET_TOKEN, user: "alice@acme.test" }];
  return scenario;
}

export async function startTestEmulator(scenario?: Scenario): Promise<Emulator> {
  return startEmulator({
    scenario: scenario ?? (await demoScenario()),
    bootTimeMs: 20,
    checkDelayMs: 20,
    rateLimits: false,
  });
}

/** The engine's delays for the emulator, which answers in milliseconds (see core's RolloutTiming). */
export const FAST_ROLLOUT_TIMING = JSON.stringify({
  waitSliceSeconds: 1,
  checkPollMinMs: 10,
  checkPollMaxMs: 40,
  crashWatchMs: 100,
  crashPollMs: 50,
});

/**
 * The client's Machines API pacing, 20 times Fly's (see core's FLY_MACHINES_CLIENT_LIMITS): the test
 * emulators do not rate-limit, and at Fly's rate a bluegreen deploy waits a second per machine it creates.
 */
export const FAST_RATE_LIMITS = JSON.stringify({
  perAction: { perSecond: 18, burst: 2 },
  getMachine: { perSecond: 90, burst: 9 },
});

/** Back-offs of milliseconds, as core's emulator suites use: an outage a test fakes costs no seconds. */
export const FAST_RETRY = JSON.stringify({ minDelayMs: 5, maxDelayMs: 50 });

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RunOptions {
  /** Variables set for the run (undefined unsets); FLY_* and friends are cleared first. */
  env?: Record<string, string | undefined>;
  /** Working directory for the run (fly.toml lookups). */
  cwd?: string;
  stdinIsTTY?: boolean;
  /** Keep ANSI escapes in the captured output (to check colours). */
  raw?: boolean;
}

const CLEARED = [
  "FLY_APP",
  "FLY_ACCESS_TOKEN",
  "FLY_API_TOKEN",
  "FLY_CONFIG_DIR",
  "FLY_API_BASE_URL",
  "FLY_FLAPS_BASE_URL",
  "FLY_UIEX_BASE_URL",
  "SEMFLY_REGISTRY_URL",
  "DOCKER_CONFIG",
  "DEBUG",
  "FORCE_COLOR",
  "SEMFLY_RATE_LIMITS",
  "SEMFLY_RETRY",
];

let emptyHome: string | undefined;

/** A HOME without ~/.fly/config.yml, so a developer's own Fly login never leaks into a test. */
export async function isolatedHome(): Promise<string> {
  emptyHome ??= await mkdtemp(join(tmpdir(), "semfly-cli-home-"));
  return emptyHome;
}

export async function removeIsolatedHome(): Promise<void> {
  if (emptyHome) await rm(emptyHome, { recursive: true, force: true });
  emptyHome = undefined;
}

/**
 * Run `semfly <args>` in-process, from source (see SourcePlugin), with the emulator's env (plus overrides),
 * then restore everything.
 */
export async function semfly(
  args: string[],
  emulator: Emulator | null,
  options: RunOptions = {},
): Promise<RunResult> {
  const saved = new Map<string, string | undefined>();
  const set = (name: string, value: string | undefined) => {
    if (!saved.has(name)) saved.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  for (const name of CLEARED) set(name, undefined);
  set("HOME", await isolatedHome());
  set("XDG_CACHE_HOME", join(await isolatedHome(), ".cache"));
  set("COLUMNS", String(WIDTH));
  set("NO_COLOR", "1");
  set("SEMFLY_NOW", NOW);
  set("SEMFLY_ROLLOUT_TIMING", FAST_ROLLOUT_TIMING);
  set("SEMFLY_RATE_LIMITS", FAST_RATE_LIMITS);
  set("SEMFLY_RETRY", FAST_RETRY);
  if (emulator) for (const [name, value] of Object.entries(emulator.env)) set(name, value);
  for (const [name, value] of Object.entries(options.env ?? {})) set(name, value);
  const cwd = process.cwd();
  const stdoutTTY = process.stdout.isTTY;
  const stdinTTY = process.stdin.isTTY;
  process.stdout.isTTY = false as true;
  process.stdin.isTTY = (options.stdinIsTTY ?? false) as true;
  if (options.cwd) process.chdir(options.cwd);
  try {
    const { stdout, stderr, error } = await runCommand(args, await loadSourceConfig(), {
      stripAnsi: !options.raw,
    });
    const exit = (error as { oclif?: { exit?: number } } | undefined)?.oclif?.exit;
    return { stdout, stderr, exitCode: error ? (exit ?? 1) : 0 };
  } finally {
    process.chdir(cwd);
    process.stdout.isTTY = stdoutTTY;
    process.stdin.isTTY = stdinTTY;
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
