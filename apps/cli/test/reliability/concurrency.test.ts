// @module-tag slow: seconds of real waiting (see vitest.config.ts); `pnpm test:fast` skips this file.
import { createFlyClient, executeRollout, prepareRollback, type SemflyError } from "@semfly/core";
import { type Emulator, startEmulator } from "@semfly/fly-emulator";
import { afterEach, describe, expect, it } from "vitest";
import { FAST_ROLLOUT_TIMING } from "../helpers.js";
import {
  APP,
  emulatorEnv,
  jsonError,
  managedMachines,
  runCli,
  type Sandbox,
  sandbox,
  spawnCli,
} from "./cli.js";

/**
 * One app, two rollouts at once: two CLIs, or the CLI and a rollout driven through core as the VS Code
 * extension drives it. Whichever starts second must stop with LEASE_CONFLICT before changing anything.
 */
const DIGESTS = {
  "3.1.10": "sha256:27c9063065c4804d358924930c263f3e013b62ef1a5abf2399966b34dfdb0655",
  "3.1.11": "sha256:98059fbd9b6f5e5580e59b3cee8dd6a8e1cb0347842dfa3fe7fef51d3053ba59",
} as const;
const LEASE_CONFLICT_LINE =
  /^Machine (\w+) is leased by alice@acme\.test(?: until \S+)?: another deploy or rollback holds it$/;

let emulator: Emulator | null = null;
let box: Sandbox | null = null;
afterEach(async () => {
  await emulator?.close();
  await box?.dispose();
  emulator = null;
  box = null;
});

async function world() {
  emulator = await startEmulator({ scenario: "demo", bootTimeMs: 100, checkDelayMs: 20, seed: 11 });
  box = await sandbox();
  return { e: emulator, env: emulatorEnv(emulator, box), cwd: box.cwd };
}

/** What the emulator saw, counted: every machine update and release creation, whoever sent it. */
function counts(e: Emulator) {
  const log = e.mutatingRequests();
  return {
    updates: log.filter((r) => r.operation === "machines.update").length,
    releases: log.filter((r) => r.operation === "releases.create").length,
  };
}

/** A rollout through core, as the extension runs it (same calls: prepareRollback, executeRollout). */
function coreRollout(e: Emulator, spec: string) {
  const sent: string[] = [];
  const client = createFlyClient({
    token: e.token,
    apiBaseUrl: e.url,
    flapsBaseUrl: e.url,
    uiexBaseUrl: e.url,
    debug: (line) => sent.push(line),
  });
  return {
    sent,
    run: async (onLeased?: () => void) => {
      const { plan } = await prepareRollback(client, APP, { target: { spec } });
      let leased = 0;
      return executeRollout(client, plan, {
        timing: JSON.parse(FAST_ROLLOUT_TIMING),
        onEvent: (event) => {
          if (event.type === "machine-leased" && ++leased === plan.machines.length) onLeased?.();
        },
      });
    },
  };
}

describe("two rollbacks of one app at once", () => {
  it("two CLIs: one rolls back (exit 0), the other stops with LEASE_CONFLICT (exit 1) and changes nothing", async () => {
    const { e, env, cwd } = await world();
    const releasesBefore = e.releases(APP).length;
    // Whoever leases first holds the app 3 s longer (its first update waits), so that the other, a
    // Node process of its own, still meets those leases however slowly a loaded machine starts it.
    e.setFaults({
      rules: [{ operation: "machines.update", times: 1, action: { type: "delay", ms: 3_000 } }],
    });
    const [a, b] = await Promise.all([
      runCli(["rollback", "3.1.11", "--yes", "--json", "--app", APP], { env, cwd }),
      runCli(["rollback", "3.1.10", "--yes", "--json", "--app", APP], { env, cwd }),
    ]);
    const runs = [
      { target: "3.1.11" as const, run: a },
      { target: "3.1.10" as const, run: b },
    ];
    const winner = runs.find((r) => r.run.code === 0);
    const loser = runs.find((r) => r.run.code !== 0);
    expect(winner, `${a.code} ${a.stderr} | ${b.code} ${b.stderr}`).toBeDefined();
    expect(loser?.run.code, loser?.run.stderr).toBe(1);
    expect(jsonError(loser!.run).code).toBe("LEASE_CONFLICT");
    expect(jsonError(loser!.run).message).toMatch(LEASE_CONFLICT_LINE);
    // stderr: the one error line and its suggestion, nothing more.
    expect(loser!.run.stderr.trimEnd().split("\n")).toEqual([
      `Error: ${jsonError(loser!.run).message}`,
      expect.stringMatching(/^ {2}Another deploy or rollback is in progress/),
    ]);

    // Six updates and one release in all: every one of them the winner's.
    expect(counts(e)).toEqual({ updates: 7, releases: 1 });
    expect(e.releases(APP)).toHaveLength(releasesBefore + 1);
    expect(new Set(managedMachines(e, APP).map((m) => m.image_ref?.digest))).toEqual(
      new Set([DIGESTS[winner!.target]]),
    );
    expect(e.leases(APP)).toEqual([]);
  });

  it("the CLI started while a core rollout (the extension's path) holds the app stops the same way", async () => {
    const { e, env, cwd } = await world();
    const core = coreRollout(e, "3.1.10");
    let cli: Promise<Awaited<ReturnType<typeof runCli>>> | null = null;
    const result = await core.run(() => {
      // Core holds every lease now. Its first update waits 3 s, so that core still holds them when the CLI,
      // a whole Node process started only now, asks for its own on a loaded machine.
      e.setFaults({
        rules: [{ operation: "machines.update", times: 1, action: { type: "delay", ms: 3_000 } }],
      });
      cli = runCli(["rollback", "3.1.11", "--yes", "--app", APP], { env, cwd });
    });
    const run = await cli!;
    expect(result.status).toBe("complete");
    expect(run.code, run.stderr).toBe(1);
    const [line, suggestion, ...rest] = run.stderr.trimEnd().split("\n");
    expect(line).toMatch(/^Error: /);
    expect(line!.slice("Error: ".length)).toMatch(LEASE_CONFLICT_LINE);
    expect(suggestion).toMatch(/^ {2}Another deploy or rollback is in progress/);
    expect(rest).toEqual([]);
    expect(counts(e)).toEqual({ updates: 7, releases: 1 });
    expect(new Set(managedMachines(e, APP).map((m) => m.image_ref?.digest))).toEqual(
      new Set([DIGESTS["3.1.10"]]),
    );
    expect(e.leases(APP)).toEqual([]);
  });

  it("a core rollout (the extension's path) started while the CLI holds the app stops the same way", async () => {
    const { e, env, cwd } = await world();
    const core = coreRollout(e, "3.1.10");
    let coreOutcome: Promise<unknown> | null = null;
    const cli = spawnCli(["rollback", "3.1.11", "--yes", "--app", APP], {
      env,
      cwd,
      onLine: (line) => {
        if (/^Leased \d+ machines/.test(line) && !coreOutcome) {
          coreOutcome = core.run().then(
            (value) => ({ value }),
            (error: unknown) => ({ error }),
          );
        }
      },
    });
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(0);
    const outcome = (await coreOutcome!) as { error?: SemflyError };
    expect(outcome.error?.code).toBe("LEASE_CONFLICT");
    expect(outcome.error?.exitCode).toBe(1);
    expect(outcome.error?.message).toMatch(LEASE_CONFLICT_LINE);
    // What the core rollout sent that changes anything: only the lease it did not get.
    const mutations = core.sent
      .filter((line) => /^(POST|PATCH|DELETE) /.test(line) && !line.includes("/graphql "))
      .map((line) => line.replace(/ in \d+ms.*$/, "").replace(e.url, ""));
    expect(mutations).toEqual([
      expect.stringMatching(/^POST \/v1\/apps\/acme-web\/machines\/\w+\/lease → 409$/),
    ]);
    expect(counts(e)).toEqual({ updates: 7, releases: 1 });
    expect(new Set(managedMachines(e, APP).map((m) => m.image_ref?.digest))).toEqual(
      new Set([DIGESTS["3.1.11"]]),
    );
  });
});
