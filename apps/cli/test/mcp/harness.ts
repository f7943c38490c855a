/**
 * The built `semfly mcp` as an MCP client starts it (`node apps/cli/bin/run.js mcp`), driven by the SDK's
 * own Client over stdio, against an emulator in the test process.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { type Emulator, startEmulator } from "@semfly/fly-emulator";
import { demoScenario, FAST_RATE_LIMITS, FAST_ROLLOUT_TIMING, SECRET_TOKEN } from "../helpers.js";
import { BIN, type Sandbox, sandbox } from "../reliability/cli.js";

export const APP = "acme-web";
export const D11 = "sha256:98059fbd9b6f5e5580e59b3cee8dd6a8e1cb0347842dfa3fe7fef51d3053ba59";
export const D12 = "sha256:ed5c6ce26bc7cf3f7a197ee6cae6d63aa415b2de67a05678aec46d67a0369979";

/** The demo app, accepting the sentinel token; slower machines make a rollout long enough to cancel. */
export async function startMcpEmulator(
  options: { bootTimeMs?: number; checkDelayMs?: number } = {},
): Promise<Emulator> {
  return startEmulator({
    scenario: await demoScenario(),
    bootTimeMs: options.bootTimeMs ?? 20,
    checkDelayMs: options.checkDelayMs ?? 20,
    rateLimits: false,
  });
}

export interface McpSession {
  client: Client;
  /** The server's working directory (where it reads semfly.toml). */
  cwd: string;
  /** Everything the server wrote on stderr so far. */
  stderr(): string;
  /** Every tool result so far, as the client received it. */
  results: CallToolResult[];
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

/** Start `semfly mcp [args]` with the emulator's URLs and the sentinel token, in an empty HOME. */
export async function startMcp(emulator: Emulator, args: string[] = []): Promise<McpSession> {
  const box: Sandbox = await sandbox();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, "mcp", ...args],
    cwd: box.cwd,
    env: {
      HOME: box.home,
      XDG_CACHE_HOME: `${box.home}/.cache`,
      FLY_API_BASE_URL: emulator.env.FLY_API_BASE_URL,
      FLY_FLAPS_BASE_URL: emulator.env.FLY_FLAPS_BASE_URL,
      FLY_UIEX_BASE_URL: emulator.env.FLY_UIEX_BASE_URL,
      SEMFLY_REGISTRY_URL: emulator.env.SEMFLY_REGISTRY_URL,
      FLY_API_TOKEN: SECRET_TOKEN,
      FLY_APP: APP,
      NO_COLOR: "1",
      SEMFLY_ROLLOUT_TIMING: FAST_ROLLOUT_TIMING,
      SEMFLY_RATE_LIMITS: FAST_RATE_LIMITS,
    },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const client = new Client({ name: "semfly-test", version: "1.0.0" });
  await client.connect(transport);
  const results: CallToolResult[] = [];
  return {
    client,
    cwd: box.cwd,
    stderr: () => stderr,
    results,
    async call(name, toolArgs = {}) {
      const result = (await client.callTool({ name, arguments: toolArgs })) as CallToolResult;
      results.push(result);
      return result;
    },
    async close() {
      await client.close();
      await box.dispose();
    },
  };
}

export function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
}

export function structured<T = Record<string, unknown>>(result: CallToolResult): T {
  return result.structuredContent as T;
}

/** The app's Fly Launch machines, as a rollout counts them (the demo also has unmanaged ones). */
export const appMachines = (emulator: Emulator) =>
  emulator
    .machines(APP)
    .filter(
      (m) =>
        m.state !== "destroyed" &&
        m.config?.metadata?.fly_platform_version === "v2" &&
        !String(m.config?.metadata?.fly_process_group ?? "").startsWith("fly_app_"),
    );

export const machineDigests = (emulator: Emulator) =>
  appMachines(emulator).map((m) => (m.image_ref as { digest?: string } | undefined)?.digest);

/** Resolves when `check` holds, polling; throws after the timeout with what `check` last saw. */
export async function eventually<T>(
  read: () => T,
  check: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
