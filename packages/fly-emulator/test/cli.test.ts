import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { parseServeArgs, serve, UsageError } from "../src/cli-serve.js";
import type { Emulator } from "../src/index.js";

let running: Emulator | null = null;
afterEach(async () => {
  await running?.close();
  running = null;
});

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString("utf8");
}

describe("command line", () => {
  it("serves the demo scenario and prints export lines for semfly and flyctl", async () => {
    const options = await parseServeArgs([
      "serve",
      "--boot-time-ms",
      "10",
      "--latency-ms",
      "0",
      "--no-rate-limits",
    ]);
    expect(options).toMatchObject({ scenario: "demo", bootTimeMs: 10, rateLimits: false });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const printed = collect(stdout);
    running = await serve(options ?? {}, { stdout, stderr });
    const lines = printed().trim().split("\n");
    expect(lines).toEqual([
      `export FLY_API_BASE_URL=${running.url}`,
      `export FLY_FLAPS_BASE_URL=${running.url}`,
      `export FLY_UIEX_BASE_URL=${running.url}`,
      `export FLY_METRICS_BASE_URL=${running.url}`,
      "export FLY_API_TOKEN=fm2_demo_token_not_secret",
      "export FLY_APP=acme-web",
      `export SEMFLY_REGISTRY_URL=${running.url}/oci`,
    ]);
    const res = await fetch(`${running.url}/api/v1/apps/acme-web/releases/current`, {
      headers: { authorization: "Bearer fm2_demo_token_not_secret" },
    });
    expect(((await res.json()) as { version: number }).version).toBe(27);
  });

  it("reads a scenario file and a faults file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fly-emulator-cli-"));
    const scenarioPath = join(dir, "tiny.json");
    const faultsPath = join(dir, "faults.json");
    await writeFile(scenarioPath, JSON.stringify({ tokens: ["t0k"], apps: [{ name: "tiny" }] }));
    await writeFile(
      faultsPath,
      JSON.stringify({ rules: [{ service: "machines", action: { type: "status", status: 503 } }] }),
    );
    const options = await parseServeArgs([
      "serve",
      "--scenario",
      scenarioPath,
      "--faults",
      faultsPath,
    ]);
    running = await serve(options ?? {}, { stdout: new PassThrough(), stderr: new PassThrough() });
    expect(running.env.FLY_APP).toBe("tiny");
    const res = await fetch(`${running.url}/v1/apps/tiny/machines`, {
      headers: { authorization: "Bearer t0k" },
    });
    expect(res.status).toBe(503);
  });

  it("refuses unknown commands and bad numbers", async () => {
    await expect(parseServeArgs(["run"])).rejects.toBeInstanceOf(UsageError);
    await expect(parseServeArgs(["serve", "--port", "x"])).rejects.toBeInstanceOf(UsageError);
    await expect(parseServeArgs(["serve", "--bogus"])).rejects.toBeInstanceOf(UsageError);
    expect(await parseServeArgs(["--help"])).toBeNull();
  });
});
