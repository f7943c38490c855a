// @module-tag slow: a child process per test (the built CLI, or the action's main.mjs running it).
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Emulator, loadScenario, startEmulator } from "@semfly/fly-emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startGithubStandIn } from "./github-stand-in.js";

const MAIN = fileURLToPath(new URL("../main.mjs", import.meta.url));
const GITHUB_TOKEN = "ghs_SENTINEL_github_token_never_printed";

let emulator: Emulator;
let github: Awaited<ReturnType<typeof startGithubStandIn>>;
let dir: string;

beforeEach(async () => {
  emulator = await startEmulator({
    scenario: await loadScenario("demo"),
    bootTimeMs: 20,
    checkDelayMs: 20,
    rateLimits: false,
  });
  emulator.addImage("acme-web", {
    ref: "registry.fly.io/acme-web:3.2.0",
    labels: { "org.opencontainers.image.version": "3.2.0" },
  });
  github = await startGithubStandIn();
  dir = await mkdtemp(join(tmpdir(), "semfly-action-"));
});
afterEach(async () => {
  await emulator.close();
  await github.close();
  await rm(dir, { recursive: true, force: true });
});

interface ActionRun {
  exitCode: number;
  log: string;
  outputs: Record<string, string>;
  summary: string;
}

/** `name<<DELIMITER\nvalue\nDELIMITER`, the file format the runtime reads GITHUB_OUTPUT in. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!match) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== match[2]; i++) value.push(lines[i]!);
    outputs[match[1]!] = value.join("\n");
  }
  return outputs;
}

/** Run the action's entry as the runner does: a Node process with INPUT_* and the GITHUB_* files. */
async function runAction(inputs: Record<string, string>, run = "1"): Promise<ActionRun> {
  const outputFile = join(dir, `output-${run}`);
  const summaryFile = join(dir, `summary-${run}`);
  await writeFile(outputFile, "");
  await writeFile(summaryFile, "");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    XDG_CACHE_HOME: join(dir, "cache"),
    SEMFLY_NOW: "2025-06-11T12:00:00Z",
    GITHUB_ACTIONS: "true",
    GITHUB_ACTOR: "octocat",
    GITHUB_REPOSITORY: "acme/acme-web",
    GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567",
    GITHUB_RUN_ID: "77",
    GITHUB_SERVER_URL: "https://github.example",
    GITHUB_API_URL: github.url,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    ...emulator.env,
    // The engine's delays for an emulator that answers in milliseconds.
    SEMFLY_ROLLOUT_TIMING: JSON.stringify({
      waitSliceSeconds: 1,
      checkPollMinMs: 10,
      checkPollMaxMs: 40,
      crashWatchMs: 100,
      crashPollMs: 50,
    }),
    // The client's pacing 20 times Fly's: this emulator does not rate-limit (apps/cli/test/helpers.ts).
    SEMFLY_RATE_LIMITS: JSON.stringify({
      perAction: { perSecond: 18, burst: 2 },
      getMachine: { perSecond: 90, burst: 9 },
    }),
  };
  // The runtime names each input INPUT_<NAME> with the name upper-cased (hyphens kept).
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const child = spawn(process.execPath, [MAIN], { env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (log += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (log += c));
  const exitCode = await new Promise<number>((resolve) =>
    child.on("close", (c) => resolve(c ?? 1)),
  );
  return {
    exitCode,
    log,
    outputs: parseOutputs(await readFile(outputFile, "utf8")),
    summary: await readFile(summaryFile, "utf8"),
  };
}

const DEPLOY = { command: "deploy", version: "3.2.0", image: "registry.fly.io/acme-web:3.2.0" };

describe("the action, run as the runtime runs it", () => {
  it("deploys, writes the summary and the outputs, and records a GitHub deployment", async () => {
    const run = await runAction({ ...DEPLOY, "github-token": GITHUB_TOKEN, strategy: "immediate" });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toEqual({
      version: "3.2.0",
      release: "28",
      status: "complete",
      undo: "semfly rollback 3.1.12 --app acme-web",
    });
    expect(run.summary).toContain(
      "## semfly deploy: acme-web\n\n**complete**: 3.1.12 → 3.2.0 (immediate, release v28)",
    );
    expect(run.summary).toContain("### Plan\n\n| Batch | Machines |\n| --- | --- |\n| 1 | ");
    expect(run.summary).toContain("| Machine | Region | Group | From | To | Result |");
    expect(run.summary).toMatch(
      /\| 5683d4e3c7e08e \| ams \| app \| 3\.1\.12 \| 3\.2\.0 \| updated \|/,
    );
    expect(run.summary).toContain("### Undo\n\n```sh\nsemfly rollback 3.1.12 --app acme-web\n```");
    expect(run.summary).toMatch(/\| ● \| 3\.2\.0 \| live \| v28 \| sha256:/);

    expect(github.requests.map((r) => [r.method, r.path])).toEqual([
      ["POST", "/repos/acme/acme-web/deployments"],
      ["POST", "/repos/acme/acme-web/deployments/1000/statuses"],
      ["POST", "/repos/acme/acme-web/deployments/1000/statuses"],
    ]);
    const [create, started, finished] = github.requests;
    expect(create!.headers.authorization).toBe(`Bearer ${GITHUB_TOKEN}`);
    expect(create!.headers["x-github-api-version"]).toBe("2022-11-28");
    expect(create!.body).toEqual({
      ref: "0123456789abcdef0123456789abcdef01234567",
      environment: "acme-web",
      description: "semfly deploy 3.2.0 on acme-web",
      payload: { app: "acme-web", command: "deploy", version: "3.2.0" },
      auto_merge: false,
      required_contexts: [],
      task: "deploy",
    });
    expect(started!.body).toMatchObject({ state: "in_progress", environment: "acme-web" });
    expect(finished!.body).toEqual({
      state: "success",
      description: "3.2.0 is live on acme-web (release v28)",
      environment: "acme-web",
      log_url: "https://github.example/acme/acme-web/actions/runs/77",
      auto_inactive: true,
    });
    // `::add-mask::` is how a token reaches the runtime to be masked; no other line may carry one.
    const shown = run.log.split("\n").filter((line) => !line.startsWith("::add-mask::"));
    expect(shown.join("\n")).not.toContain(GITHUB_TOKEN);
    expect(shown.join("\n")).not.toContain(emulator.token);
    expect(run.log).toContain(`::add-mask::${GITHUB_TOKEN}`);
  });

  it("rolls back and freezes, then a deploy fails the job with the freeze's reason", async () => {
    const rollback = await runAction(
      { command: "rollback", reason: "3.1.12 drops orders", "github-token": GITHUB_TOKEN },
      "rollback",
    );
    expect(rollback.exitCode).toBe(0);
    expect(rollback.outputs).toMatchObject({ version: "3.1.11", status: "complete" });
    expect(rollback.summary).toContain(
      "🔒 Frozen by octocat (GitHub Actions) until unfrozen: 3.1.12 drops orders (holding 3.1.11).",
    );

    github.requests.length = 0;
    const deploy = await runAction({ ...DEPLOY, "github-token": GITHUB_TOKEN }, "deploy");
    expect(deploy.exitCode).toBe(1);
    expect(deploy.log).toContain(
      "::error::acme-web is frozen by octocat (GitHub Actions) until unfrozen: 3.1.12 drops orders",
    );
    expect(deploy.outputs).toEqual({ version: "3.1.11", release: "", status: "refused", undo: "" });
    expect(deploy.summary).toContain(
      "**Refused**: acme-web is frozen by octocat (GitHub Actions) until unfrozen: 3.1.12 drops orders",
    );
    expect(github.requests.at(-1)?.body).toMatchObject({
      state: "error",
      description:
        "acme-web is frozen by octocat (GitHub Actions) until unfrozen: 3.1.12 drops orders",
    });
    // The app's Fly Launch machines; the demo's unmanaged and release-command machines are never touched.
    const digests = emulator
      .machines("acme-web")
      .filter((m) => m.state !== "destroyed" && m.config?.metadata?.fly_platform_version === "v2")
      .map((m) => m.image_ref?.digest);
    expect(new Set(digests)).toEqual(
      new Set(["sha256:98059fbd9b6f5e5580e59b3cee8dd6a8e1cb0347842dfa3fe7fef51d3053ba59"]),
    );

    const unfrozen = await runAction({ ...DEPLOY, unfreeze: "true" }, "unfreeze");
    expect(unfrozen.exitCode).toBe(0);
    expect(unfrozen.outputs.status).toBe("complete");
  });

  it("shows the versions and the freeze without changing anything", async () => {
    emulator.clearRequestLog();
    const run = await runAction({ command: "versions" });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toEqual({ version: "3.1.12", release: "", status: "live", undo: "" });
    expect(run.summary).toContain(
      "### Versions\n\n|  | Version | Status | Releases | Digest | Deployed | By |",
    );
    expect(emulator.mutatingRequests()).toEqual([]);
    expect(github.requests).toEqual([]);
  });

  it("verifies what is live: probes and gates, one per line, and fails the job naming the gate", async () => {
    const probe = emulator.appUrl("acme-web", "/healthz");
    const healthy = await runAction(
      {
        command: "verify",
        probes: `${probe}\n${probe} per-machine`,
        gates: "\nsum(rate(fly_app_http_responses_count[1m])) > 0\n",
      },
      "verify-ok",
    );
    expect(healthy.exitCode).toBe(0);
    expect(healthy.outputs.status).toBe("pass");
    const live = emulator.machines("acme-web").find((m) => m.state === "started");
    emulator.setImageTraffic(live!.image_ref.digest, { probeStatus: 503 });
    const broken = await runAction({ command: "verify", probes: probe }, "verify-broken");
    expect(broken.exitCode).toBe(1);
    expect(broken.outputs.status).toBe("fail");
    expect(broken.log).toContain(
      `::error::semfly verify failed: GET ${probe}: HTTP 503, expected 2xx`,
    );
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("warns that verify does not check a version input, rather than dropping it silently", async () => {
    const run = await runAction(
      { command: "verify", version: "9.9.9", probes: emulator.appUrl("acme-web", "/healthz") },
      "verify-version",
    );
    expect(run.log).toContain(
      "::warning::Input version is not used by command: verify: `semfly verify` takes no version and judges whatever is live.",
    );
    expect(run.exitCode).toBe(0);
    expect(run.outputs.status).toBe("pass");
  });

  it("fails with a clear message for what this build of semfly cannot do yet", async () => {
    const gates = await runAction({ command: "versions", gates: "up == 1" }, "gates");
    expect(gates.exitCode).toBe(1);
    expect(gates.log).toContain(
      "::error::Input gates is not supported by `semfly versions` in this build (it has no --gate flag).",
    );
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("refuses an unknown command before running anything", async () => {
    emulator.clearRequestLog();
    const run = await runAction({ command: "destroy" });
    expect(run.exitCode).toBe(1);
    expect(run.log).toContain(
      '::error::Input command must be one of deploy, rollback, verify, versions, status, not "destroy".',
    );
    expect(emulator.requestLog).toEqual([]);
  });
});
