/**
 * Running the built CLI as a user would (`node apps/cli/bin/run.js …`) against an emulator that lives in
 * the test process, with a clean environment: a temporary HOME and working directory, so neither a real
 * ~/.fly/config.yml nor a stray fly.toml can answer for the test.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Emulator } from "@semfly/fly-emulator";
import { FAST_ROLLOUT_TIMING } from "../helpers.js";

/** mulberry32: the test's choices (where to kill, which target) follow a seed. */
export class SeededRandom {
  private state: number;
  constructor(seed: number) {
    this.state = (seed ^ 0x5eed) >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
}

/** `1,2,9` or `1-40` (or both, comma-separated). */
export function parseSeeds(text: string): number[] {
  return text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .flatMap((part) => {
      const range = /^(\d+)-(\d+)$/.exec(part);
      if (!range) return [Number(part)];
      const [from, to] = [Number(range[1]), Number(range[2])];
      return Array.from({ length: to - from + 1 }, (_, i) => from + i);
    });
}

export const BIN = fileURLToPath(new URL("../../bin/run.js", import.meta.url));
export const APP = "acme-web";

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Called with each complete stdout line as it arrives (for killing at a point of progress). */
  onLine?: (line: string, child: ChildProcess) => void;
  timeoutMs?: number;
}

/** A sandbox: a HOME and a working directory of its own, removed by `dispose`. */
export interface Sandbox {
  home: string;
  cwd: string;
  dispose(): Promise<void>;
}

export async function sandbox(): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), "semfly-cli-"));
  const home = join(root, "home");
  const cwd = join(root, "work");
  await mkdir(home, { recursive: true });
  await mkdir(cwd, { recursive: true });
  return { home, cwd, dispose: () => rm(root, { recursive: true, force: true }) };
}

/** The environment of a user pointed at the emulator: its URLs and token, nothing from this machine. */
export function emulatorEnv(emulator: Emulator, box: Sandbox): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: box.home,
    XDG_CACHE_HOME: join(box.home, ".cache"),
    NO_COLOR: "1",
    COLUMNS: "160",
    FLY_API_BASE_URL: emulator.env.FLY_API_BASE_URL,
    FLY_FLAPS_BASE_URL: emulator.env.FLY_FLAPS_BASE_URL,
    FLY_UIEX_BASE_URL: emulator.env.FLY_UIEX_BASE_URL,
    FLY_METRICS_BASE_URL: emulator.env.FLY_METRICS_BASE_URL,
    FLY_API_TOKEN: emulator.env.FLY_API_TOKEN,
    SEMFLY_REGISTRY_URL: emulator.env.SEMFLY_REGISTRY_URL,
    SEMFLY_ROLLOUT_TIMING: FAST_ROLLOUT_TIMING,
  };
}

export function spawnCli(
  args: string[],
  options: CliOptions = {},
): {
  child: ChildProcess;
  done: Promise<CliRun>;
} {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value !== undefined) env[key] = value;
  }
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let partial = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    partial += chunk;
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) options.onLine?.(line, child);
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const timeout = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 25_000);
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timeout);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return spawnCli(args, options).done;
}

/** `{error: {code, message, suggestion}}`, as `--json` prints a failure on stdout. */
export function jsonError(run: CliRun): {
  code: string;
  message: string;
  suggestion: string | null;
} {
  return (
    JSON.parse(run.stdout) as {
      error: { code: string; message: string; suggestion: string | null };
    }
  ).error;
}

// ------------------------------------------------------------------ a proxy that spoils answers

/** What the proxy sends instead of Fly's answer. */
export type Spoil =
  | { status?: number; body: string; headers?: Record<string, string> }
  /** Headers and the start of the body, then the connection is cut. */
  | { cutAfter: string }
  /** A chunked body of this many bytes (no content-length), inside a JSON string. */
  | { enormousBytes: number };

export interface SpoilingProxy {
  url: string;
  /** Requests the proxy answered itself. */
  spoiled: string[];
  close(): Promise<void>;
}

/**
 * A tiny HTTP server in front of the emulator: requests for which `choose` returns a Spoil get that answer;
 * everything else goes through untouched (so mutations still show in the emulator's log).
 */
export async function spoilingProxy(
  upstream: string,
  choose: (request: { method: string; path: string; body: string }) => Spoil | null,
): Promise<SpoilingProxy> {
  const spoiled: string[] = [];
  const target = new URL(upstream);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const path = new URL(req.url ?? "/", "http://proxy").pathname;
      const spoil = choose({ method: req.method ?? "GET", path, body: body.toString("utf8") });
      if (spoil) {
        spoiled.push(`${req.method} ${path}`);
        if ("cutAfter" in spoil) {
          res.writeHead(200, { "content-type": "application/json", "content-length": "100000" });
          res.write(spoil.cutAfter, () => res.socket?.destroy());
          return;
        }
        if ("enormousBytes" in spoil) {
          res.writeHead(200, { "content-type": "application/json" });
          const piece = Buffer.alloc(1024 * 1024, 0x61);
          let sent = 0;
          res.write('{"data":"');
          const pump = () => {
            while (sent < spoil.enormousBytes) {
              sent += piece.length;
              if (!res.write(piece)) return void res.once("drain", pump);
            }
            res.end('"}');
          };
          res.on("close", () => {
            sent = Number.POSITIVE_INFINITY;
          });
          pump();
          return;
        }
        res.writeHead(spoil.status ?? 200, {
          "content-type": "application/json",
          ...spoil.headers,
        });
        res.end(spoil.body);
        return;
      }
      const forward = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      forward.on("error", () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spoiled,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The env of `emulatorEnv`, with every Fly URL pointed at a proxy. */
export function throughProxy(
  env: Record<string, string>,
  proxy: SpoilingProxy,
): Record<string, string> {
  return {
    ...env,
    FLY_API_BASE_URL: proxy.url,
    FLY_FLAPS_BASE_URL: proxy.url,
    FLY_UIEX_BASE_URL: proxy.url,
    SEMFLY_REGISTRY_URL: `${proxy.url}/oci`,
  };
}

/** The machines a rollout manages (fly-go ListFlyAppsMachines); the demo also has unmanaged ones. */
export function managedMachines(emulator: Emulator, app: string) {
  return emulator.machines(app).filter((m) => {
    const metadata = (m.config?.metadata ?? {}) as Record<string, string>;
    return (
      metadata.fly_platform_version === "v2" &&
      m.state !== "destroyed" &&
      m.state !== "destroying" &&
      !(metadata.fly_process_group ?? "").startsWith("fly_app_")
    );
  });
}
