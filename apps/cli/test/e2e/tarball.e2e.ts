/**
 * What ships, run as a user runs it: the npm tarball `pnpm pack` makes, installed with `npm install -g`
 * into an empty prefix, and `<prefix>/bin/semfly` run as a child process against the emulator over HTTP,
 * with a HOME of its own. Nothing here imports the CLI: a bundling mistake that the source does not have
 * (a dependency the bundle cannot load, a file missing from `files`) fails here and nowhere else.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Emulator, startEmulator } from "@semfly/fly-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CLI_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const APP = "acme-web";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** pnpm runs scripts with npm_config_* of its own (user agent, registry settings): npm gets a clean slate. */
function cleanNpmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_(config|package|lifecycle)_/i.test(name)) continue;
    env[name] = value;
  }
  return env;
}

function runOrThrow(command: string, args: string[], cwd: string, env = cleanNpmEnv()): string {
  const run = spawnSync(command, args, { cwd, env, encoding: "utf8" });
  if (run.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${run.status}):\n${run.stdout}${run.stderr}`,
    );
  }
  return run.stdout;
}

let scratch: string;
let bin: string;
/** Where npm put the package: `<prefix>/lib/node_modules/semfly`. */
let installed: string;
let emulator: Emulator;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "semfly-tarball-"));
  const packDir = join(scratch, "pack");
  const prefix = join(scratch, "prefix");
  await mkdir(packDir);
  await mkdir(prefix);
  runOrThrow("pnpm", ["pack", "--pack-destination", packDir], CLI_ROOT);
  const [tarball] = (await readdir(packDir)).filter((name) => name.endsWith(".tgz"));
  if (!tarball) throw new Error(`pnpm pack wrote no tarball in ${packDir}`);
  // The published dependencies come from the registry (npm's cache first), as for any user.
  runOrThrow(
    "npm",
    [
      "install",
      "-g",
      "--prefix",
      prefix,
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      join(packDir, tarball),
    ],
    scratch,
  );
  bin = join(prefix, "bin", "semfly");
  installed = join(prefix, "lib", "node_modules", "semfly");
  emulator = await startEmulator({
    scenario: "demo",
    bootTimeMs: 20,
    checkDelayMs: 20,
    rateLimits: false,
  });
}, 180_000);

afterAll(async () => {
  await emulator?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** A user's shell: PATH (for `node`), a HOME and working directory of its own, the emulator's URLs. */
async function userEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const home = await mkdtemp(join(scratch, "home-"));
  return {
    PATH: process.env.PATH ?? "",
    HOME: home,
    XDG_CACHE_HOME: join(home, ".cache"),
    NO_COLOR: "1",
    COLUMNS: "160",
    FLY_APP: APP,
    FLY_API_BASE_URL: emulator.url,
    FLY_FLAPS_BASE_URL: emulator.url,
    FLY_UIEX_BASE_URL: emulator.url,
    ...extra,
  };
}

/** `fly auth login`'s file: config.yml holding access_token, in `dir`. */
async function writeFlyConfig(dir: string, token: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "config.yml"), `access_token: ${token}\nsend_metrics: false\n`);
}

function semfly(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: env.HOME, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface VersionRow {
  version: string;
  current: boolean;
}

function liveVersion(run: Run): string | undefined {
  return (JSON.parse(run.stdout) as VersionRow[]).find((row) => row.current)?.version;
}

describe("the installed npm tarball", () => {
  it("prints its help, naming every command", async () => {
    const run = await semfly(["--help"], await userEnv());
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    for (const command of ["versions", "status", "rollback", "deploy", "diff", "releases"]) {
      expect(run.stdout).toMatch(new RegExp(`^\\s+${command}\\s`, "m"));
    }
  });

  it("ships only bundle files the commands load: no chunk left over from an earlier build", async () => {
    const bundle = join(installed, "dist", "bundle");
    const commands = (await readdir(join(bundle, "commands"))).map((f) => join("commands", f));
    const chunks = (await readdir(join(bundle, "chunks"))).map((f) => join("chunks", f));
    const reached = new Set<string>();
    const visit = async (file: string): Promise<void> => {
      if (reached.has(file)) return;
      reached.add(file);
      const text = await readFile(join(bundle, file), "utf8");
      for (const match of text.matchAll(
        /(?:from|import\()\s*"\.\.?\/(?:chunks\/)?([\w.-]+\.js)"/g,
      )) {
        await visit(join("chunks", match[1]!));
      }
    };
    for (const command of commands) await visit(command);
    expect(chunks.filter((chunk) => !reached.has(chunk))).toEqual([]);
  });

  it("prints its version without loading a command", async () => {
    const run = await semfly(["--version"], await userEnv());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^semfly\/\d+\.\d+\.\d+ \S+ node-v\d+/);
  });

  it("lists versions with the token `fly auth login` saved in ~/.fly/config.yml", async () => {
    const env = await userEnv();
    await writeFlyConfig(join(env.HOME!, ".fly"), emulator.token);
    const run = await semfly(["versions"], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/3\.1\.12.*live/);
    expect(run.stdout).toContain("3.1.11");
    expect(run.stdout).not.toContain(emulator.token);
  });

  it("reads config.yml from FLY_CONFIG_DIR instead of ~/.fly", async () => {
    const configDir = join(scratch, "fly-config-dir");
    const env = await userEnv({ FLY_CONFIG_DIR: configDir });
    // A stale login in ~/.fly must not be the one used.
    await writeFlyConfig(join(env.HOME!, ".fly"), "fm2_stale_home_token");
    await writeFlyConfig(configDir, emulator.token);
    const run = await semfly(["versions", "--json"], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(liveVersion(run)).toBe("3.1.12");
  });

  it("says a refused config.yml token may have expired and how to refresh it, exit 2", async () => {
    const env = await userEnv();
    await writeFlyConfig(join(env.HOME!, ".fly"), "fm2_expired_login_token");
    const run = await semfly(["status"], env);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    const [error, suggestion, ...rest] = run.stderr.trimEnd().split("\n");
    expect(error).toMatch(/^Error: .*HTTP 401.*may have expired$/);
    expect(suggestion).toMatch(/`fly auth login`/);
    expect(rest).toEqual([]);
    expect(run.stderr).not.toContain("fm2_expired_login_token");
  });

  it("shows the app's status: its machines and the live version", async () => {
    const run = await semfly(["status"], await userEnv({ FLY_API_TOKEN: emulator.token }));
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(APP);
    expect(run.stdout).toContain("3.1.12");
    expect(run.stdout).toMatch(/ams/);
  });

  it("refuses a version that was never deployed: one line on stderr, exit 2, nothing changed", async () => {
    const env = await userEnv({ FLY_API_TOKEN: emulator.token });
    emulator.clearRequestLog();
    const run = await semfly(["rollback", "9.9.9", "--yes"], env);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    const lines = run.stderr.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^Error: .*9\.9\.9/);
    // The suggestion, indented, is all that may follow: no stack trace.
    expect(lines.slice(1).every((line) => line.startsWith("  ") && !/^\s+at /.test(line))).toBe(
      true,
    );
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("rolls back to the previous version, and versions then shows it live", async () => {
    const env = await userEnv({ FLY_API_TOKEN: emulator.token });
    const run = await semfly(["rollback", "3.1.11", "--yes", "--json"], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      app: APP,
      from: "3.1.12",
      to: "3.1.11",
      status: "complete",
    });
    expect(liveVersion(await semfly(["versions", "--json"], env))).toBe("3.1.11");
  });
});
