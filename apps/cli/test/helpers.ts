import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCommand } from "@oclif/test";
import { type Emulator, loadScenario, type Scenario, startEmulator } from "@semfly/fly-emulator";

export const CLI_ROOT = fileURLToPath(new URL("..", import.meta.url));

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
  "FLY_API_BASE_URL",
  "FLY_FLAPS_BASE_URL",
  "FLY_UIEX_BASE_URL",
  "DEBUG",
  "FORCE_COLOR",
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

/** Run `semfly <args>` in-process with the emulator's env (plus overrides), then restore everything. */
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
  if (emulator) for (const [name, value] of Object.entries(emulator.env)) set(name, value);
  for (const [name, value] of Object.entries(options.env ?? {})) set(name, value);
  const cwd = process.cwd();
  const stdoutTTY = process.stdout.isTTY;
  const stdinTTY = process.stdin.isTTY;
  process.stdout.isTTY = false as true;
  process.stdin.isTTY = (options.stdinIsTTY ?? false) as true;
  if (options.cwd) process.chdir(options.cwd);
  try {
    const { stdout, stderr, error } = await runCommand(
      args,
      { root: CLI_ROOT },
      { stripAnsi: !options.raw },
    );
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
