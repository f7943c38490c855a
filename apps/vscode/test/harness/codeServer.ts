import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { onCleanup } from "./cleanup.js";
import { chromiumBinary, codeServerBinary } from "./paths.js";

export interface CodeServerOptions {
  userDataDir: string;
  extensionsDir: string;
  /** Extra environment for code-server and so for the extension host it forks. */
  env?: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
  /** Keep workspace trust on, so that a folder the user has not trusted opens in restricted mode. */
  workspaceTrust?: boolean;
  /** Receives code-server's own output lines. */
  log?: (line: string) => void;
}

export interface CodeServer {
  /** e.g. http://127.0.0.1:41234 */
  origin: string;
  /** The page URL that opens `folder` (or an empty window) with optional workbench payload entries. */
  pageUrl(folder: string | undefined, payload?: [string, string][]): string;
  /** `vscode-remote://…` form of a path on this machine, as the workbench payload wants it. */
  remoteUri(absolutePath: string): string;
  stop(): Promise<void>;
}

/** Temp folders that code-server's XDG config/data and HOME point to, so nothing lands in the real home. */
export async function isolatedEnv(): Promise<NodeJS.ProcessEnv> {
  const root = await mkdtemp(path.join(tmpdir(), "semfly-code-server-"));
  onCleanup(() => rm(root, { recursive: true, force: true }));
  return {
    HOME: root,
    XDG_CONFIG_HOME: path.join(root, "config"),
    XDG_DATA_HOME: path.join(root, "data"),
    XDG_CACHE_HOME: path.join(root, "cache"),
    // No extension gallery: offline, and the tests install nothing from one.
    EXTENSIONS_GALLERY: "{}",
    // The emulator answers in milliseconds: the engine's real delays would only slow the suite.
    SEMFLY_ROLLOUT_TIMING:
      '{"waitSliceSeconds":1,"checkPollMinMs":10,"checkPollMaxMs":40,"crashWatchMs":100,"crashPollMs":50}',
  };
}

/**
 * Even a SIGKILLed test run must not leave code-server behind: where util-linux's setpriv exists, the
 * kernel sends code-server SIGTERM when its parent (this process) dies, whatever killed it.
 */
function withParentDeathSignal(command: string, args: string[]): [string, string[]] {
  const setpriv = "/usr/bin/setpriv";
  if (process.platform !== "linux" || !existsSync(setpriv)) return [command, args];
  return [setpriv, ["--pdeathsig", "TERM", "--", command, ...args]];
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // Detached: the child leads its own process group, which also holds the extension host.
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  killGroup(child, "SIGTERM");
  const timer = setTimeout(() => killGroup(child, "SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

export async function installExtension(
  vsix: string,
  options: Pick<CodeServerOptions, "userDataDir" | "extensionsDir" | "env">,
): Promise<void> {
  const child = spawn(
    codeServerBinary(),
    [
      "--user-data-dir",
      options.userDataDir,
      "--extensions-dir",
      options.extensionsDir,
      "--install-extension",
      vsix,
    ],
    { env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`code-server --install-extension failed (${code}):\n${output}`);
}

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const args = [
    "--bind-addr",
    "127.0.0.1:0",
    "--auth",
    "none",
    "--disable-telemetry",
    "--disable-update-check",
    ...(options.workspaceTrust ? [] : ["--disable-workspace-trust"]),
    "--disable-getting-started-override",
    "--user-data-dir",
    options.userDataDir,
    "--extensions-dir",
    options.extensionsDir,
  ];
  const [command, commandArgs] = withParentDeathSignal(codeServerBinary(), args);
  const child = spawn(command, commandArgs, {
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  onCleanup(() => stopProcess(child));

  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("code-server did not start listening in time")),
      options.startTimeoutMs ?? 60_000,
    );
    let buffered = "";
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        options.log?.(line);
        const match = /HTTP server listening on (http:\/\/[\d.]+:\d+)/.exec(line);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited early (${code})`));
    });
  });
  const host = new URL(origin).host;

  return {
    origin,
    remoteUri: (absolutePath) => `vscode-remote://${host}${absolutePath}`,
    pageUrl(folder, payload) {
      const url = new URL(origin);
      if (folder) url.searchParams.set("folder", folder);
      else url.searchParams.set("ew", "true");
      if (payload && payload.length > 0) url.searchParams.set("payload", JSON.stringify(payload));
      return url.toString();
    },
    stop: () => stopProcess(child),
  };
}

/** Debian's Chromium, headless, kept off the (closed) network and out of the home directory. */
export async function launchChromium(): Promise<Browser> {
  const home = await mkdtemp(path.join(tmpdir(), "semfly-chromium-"));
  onCleanup(() => rm(home, { recursive: true, force: true }));
  const browser = await chromium.launch({
    executablePath: chromiumBinary(),
    headless: true,
    timeout: 60_000,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: home, XDG_CACHE_HOME: home },
    args: [
      "--disable-breakpad",
      "--disable-crash-reporter",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  onCleanup(() => browser.close().catch(() => undefined));
  return browser;
}

export async function newWorkbenchPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  return context.newPage();
}
