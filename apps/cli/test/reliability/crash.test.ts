// @module-tag slow: seconds of real waiting (see vitest.config.ts); `pnpm test:fast` skips this file.
import { type Emulator, startEmulator } from "@semfly/fly-emulator";
import { describe, expect, it } from "vitest";
import {
  APP,
  type CliRun,
  emulatorEnv,
  jsonError,
  managedMachines,
  parseSeeds,
  runCli,
  type Sandbox,
  SeededRandom,
  sandbox,
  spawnCli,
} from "./cli.js";

/**
 * The CLI killed with SIGKILL in the middle of `semfly rollback` (no handler runs: no revert, no lease
 * release, no release status). What must hold afterwards: `semfly status` tells the truth, the dead run's
 * leases expire by their TTL, and running the same command again converges.
 */
const TARGET = "3.1.11";
const DIGEST: Record<string, string> = {
  "sha256:98059fbd9b6f5e5580e59b3cee8dd6a8e1cb0347842dfa3fe7fef51d3053ba59": "3.1.11",
  "sha256:ed5c6ce26bc7cf3f7a197ee6cae6d63aa415b2de67a05678aec46d67a0369979": "3.1.12",
};
const TARGET_DIGEST = Object.keys(DIGEST).find((d) => DIGEST[d] === TARGET)!;
/** The engine's default lease TTL; the CLI has no option to change it. */
const LEASE_TTL_SECONDS = 30;
const ROLLBACK = ["rollback", TARGET, "--yes", "--app", APP];
/** Lines of plain (non-TTY) progress: leases, release, batches, per-machine steps. */
const PROGRESS = /^(Leased|Created release|Release v\d+|Batch \d|[0-9a-f]{14}: |Released)/;
/**
 * Seeds whose kill points cover: before any request (6), during the first batch (2), right after the
 * release was created (35), between batches (9), inside the last batch (38), after every machine moved
 * but before the release was marked (1), and after it was marked complete, mid lease release (13).
 * SEMFLY_CRASH_SEEDS=1-40 (or `pnpm test:soak --crash 1-40`) runs others.
 */
const KILL_SEEDS = parseSeeds(process.env.SEMFLY_CRASH_SEEDS ?? "1,2,6,9,13,35,38");

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const emulatorNow = (e: Emulator) => Date.parse((e.snapshot() as { now: string }).now) / 1000;

/**
 * Start the rollback and SIGKILL it at the seed's point: at a time after start (often before or while
 * leasing), a little after a progress line of the first two batches, or right at a line of the last
 * batch or the end (its worker machines have no checks, so it goes by in milliseconds).
 */
async function killedRollback(seed: number, env: Record<string, string>, cwd: string) {
  const rng = new SeededRandom(seed);
  const mode = rng.int(0, 3);
  const atMs = rng.int(150, 900);
  const afterLine = mode === 0 ? 0 : mode < 3 ? rng.int(1, 17) : rng.int(18, 25);
  const drawn = mode < 3 ? rng.int(0, 150) : rng.int(0, 5);
  // After the release is marked only the leases remain: kill at once, or the run may end first.
  const extraMs = afterLine >= 24 ? 0 : drawn;
  const where =
    mode === 0 ? `${atMs}ms after start` : `${extraMs}ms after progress line ${afterLine}`;
  let seen = 0;
  const { child, done } = spawnCli(ROLLBACK, {
    env,
    cwd,
    onLine: (line, proc) => {
      if (!PROGRESS.test(line) || ++seen !== afterLine) return;
      if (extraMs === 0) proc.kill("SIGKILL");
      else setTimeout(() => proc.kill("SIGKILL"), extraMs);
    },
  });
  if (mode === 0) setTimeout(() => child.kill("SIGKILL"), atMs);
  const run = await done;
  return { run, where };
}

// Each case has its own emulator and sandbox, so kill points run side by side.
describe.concurrent("the CLI killed with SIGKILL during a rollback", () => {
  it.each(KILL_SEEDS)(
    "seed %i: status shows the truth, the dead run's leases expire by their TTL, and a re-run converges",
    async (seed) => {
      const e = await startEmulator({ scenario: "demo", bootTimeMs: 200, checkDelayMs: 50, seed });
      const box = await sandbox();
      try {
        await killAndRecover(seed, e, box);
      } finally {
        await e.close();
        await box.dispose();
      }
    },
    60_000,
  );
});

async function killAndRecover(seed: number, e: Emulator, box: Sandbox): Promise<void> {
  const env = emulatorEnv(e, box);
  const releasesBefore = e.releases(APP).length;

  const { run, where } = await killedRollback(seed, env, box.cwd);
  const label = `seed ${seed} (killed ${where})`;
  expect(
    run.signal,
    `${label}: the rollback finished before it could be killed\n${run.stdout}`,
  ).toBe("SIGKILL");
  // Requests the dead process had already sent are still handled; let them and the boots finish.
  await sleep(300);
  await e.idle();

  // Every machine runs the version it had or the target: a machine update is all or nothing.
  const machines = managedMachines(e, APP);
  const digests = new Map(machines.map((m) => [m.id, m.image_ref?.digest ?? ""]));
  for (const [id, digest] of digests) {
    expect(DIGEST[digest], `${label}: ${id} runs ${digest}`).toBeDefined();
  }
  const mixed = new Set(digests.values()).size > 1;

  // `semfly status` says what the machines run, and null for the app's version when they disagree.
  const status = await runCli(["status", "--json", "--app", APP], { env, cwd: box.cwd });
  expect(status.code, `${label}: status failed: ${status.stderr}`).toBe(0);
  const shown = JSON.parse(status.stdout) as {
    version: string | null;
    drift: boolean;
    machines: { id: string; version: string | null; digest: string | null }[];
  };
  expect(shown.drift, label).toBe(mixed);
  expect(shown.version, label).toBe(mixed ? null : DIGEST[[...digests.values()][0]!]);
  expect(
    Object.fromEntries(shown.machines.map((m) => [m.id, [m.version, m.digest]])),
    label,
  ).toEqual(Object.fromEntries([...digests].map(([id, d]) => [id, [DIGEST[d], d]])));

  // The dead run's release was never finished: it may stay pending/running, but never claims an
  // outcome that did not happen.
  const newest = e.releases(APP).at(-1)!;
  if (e.releases(APP).length > releasesBefore) {
    expect(["pending", "running", "complete"], label).toContain(newest.status);
    if (newest.status === "complete") expect(mixed, label).toBe(false);
  }

  // Leases the dead run held: none outlives its TTL. Until then, a re-run that needs one stops cleanly.
  const held = e.leases(APP);
  for (const lease of held) {
    expect(lease.expires_at - emulatorNow(e), `${label}: lease TTL`).toBeLessThanOrEqual(
      LEASE_TTL_SECONDS + 1,
    );
  }
  const allOnTarget = [...digests.values()].every((d) => d === TARGET_DIGEST);
  const leader = [...digests.keys()].sort()[0]!;
  const needed = [...digests].filter(([, d]) => d !== TARGET_DIGEST).map(([id]) => id);
  const blocked = held.some((l) => l.machineId === leader || needed.includes(l.machineId));
  if (blocked && !allOnTarget) {
    e.clearRequestLog();
    const early = await runCli([...ROLLBACK, "--json"], { env, cwd: box.cwd });
    expect(early.code, `${label}: re-run before the TTL: ${early.stderr}`).toBe(1);
    expect(jsonError(early).code).toBe("LEASE_CONFLICT");
    const changes = e.mutatingRequests().filter((r) => !r.operation.startsWith("machines.lease."));
    expect(changes, `${label}: the blocked re-run changed something`).toEqual([]);
  }
  e.advanceClock((LEASE_TTL_SECONDS + 1) * 1000);
  expect(e.leases(APP), `${label}: leases after their TTL`).toEqual([]);

  // The same command again converges. When the dead run had already moved every machine, the target
  // is live: if the dead run's release is unfinished the re-run marks it complete (only the record
  // changes); if it had finished, the target is refused as already live (exit 2) and nothing changes.
  // See docs/reliability.md, "Killed after every machine moved".
  const unfinished = ["pending", "running"].includes(e.releases(APP).at(-1)!.status);
  const dead = e.releases(APP).length > releasesBefore ? e.releases(APP).at(-1)! : null;
  const deadStatus = dead?.status;
  e.clearRequestLog();
  const again: CliRun = await runCli(ROLLBACK, { env, cwd: box.cwd });
  if (allOnTarget && unfinished && e.releases(APP).length > releasesBefore) {
    expect(again.code, `${label}: ${again.stderr}`).toBe(0);
    expect(e.releases(APP).at(-1)!.status).toBe("complete");
    // Only records change, under the app lock: the release is finished, then the completed rollback
    // freezes the app (a metadata key per machine, and the freeze noted on the release).
    const changes = e.mutatingRequests().map((r) => r.operation);
    expect(changes.slice(0, 3)).toEqual([
      "machines.lease.acquire",
      "releases.update",
      "machines.lease.release",
    ]);
    expect(changes.slice(3).filter((o) => o !== "releases.update")).toEqual(
      machines.map(() => "machines.metadata.setKey"),
    );
    expect(changes.slice(3).filter((o) => o === "releases.update")).toHaveLength(1);
  } else if (allOnTarget) {
    expect(again.code, `${label}: ${again.stderr}`).toBe(2);
    expect(again.stderr).toMatch(/^Error: 3\.1\.11 is already live on acme-web\.\n/);
    expect(e.mutatingRequests()).toEqual([]);
  } else {
    expect(again.code, `${label}: re-run: ${again.stderr}\n${again.stdout}`).toBe(0);
    expect(again.stdout).toMatch(/Rolled back acme-web .*to 3\.1\.11/);
    expect(e.releases(APP).at(-1)!.status).toBe("complete");
    // The dead run's `running` record is finished by the re-run: interrupted, not left running.
    if (dead && deadStatus === "running") {
      const finished = e.releases(APP).find((r) => r.version === dead.version)!;
      expect(finished.status, `${label}: the dead run's release`).toBe("interrupted");
    }
  }
  expect(
    managedMachines(e, APP).map((m) => m.image_ref?.digest),
    `${label}: after the re-run`,
  ).toEqual(machines.map(() => TARGET_DIGEST));
  expect(e.leases(APP)).toEqual([]);
  // Whatever the dead run left, the re-run leaves no release `pending` or `running`.
  expect(
    e
      .releases(APP)
      .filter((r) => ["pending", "running"].includes(r.status))
      .map((r) => r.version),
    `${label}: releases left open`,
  ).toEqual([]);
}

describe("the CLI killed after every machine moved, before their checks failed", () => {
  it("the re-run puts every machine back on its previous config, finishes the dead run's release as failed, never complete, and exits 1", async () => {
    const e = await startEmulator({
      scenario: "demo",
      bootTimeMs: 50,
      checkDelayMs: 1500,
      seed: 5,
    });
    const box = await sandbox();
    try {
      const env = emulatorEnv(e, box);
      const ref = e
        .images(APP)
        .find((i) => i.labels["org.opencontainers.image.version"] === TARGET)!.ref;
      const configsBefore = new Map(
        managedMachines(e, APP).map((m) => [m.id, structuredClone(m.config)]),
      );
      // Immediate: every machine is updated at once, so all carry the target before any check reports.
      const { child, done } = spawnCli([...ROLLBACK, "--strategy", "immediate"], {
        env,
        cwd: box.cwd,
      });
      const FROM = Object.keys(DIGEST).find((d) => DIGEST[d] === "3.1.12")!;
      const moving = new Set(
        managedMachines(e, APP)
          .filter((m) => m.image_ref?.digest === FROM)
          .map((m) => m.id),
      );
      let ended = false;
      void done.then(() => {
        ended = true;
      });
      while (!ended) {
        const onTarget = managedMachines(e, APP).filter(
          (m) => moving.has(m.id) && m.image_ref?.digest === TARGET_DIGEST,
        );
        if (onTarget.length === moving.size) break;
        await sleep(2);
      }
      child.kill("SIGKILL");
      const killed = await done;
      expect(killed.signal, killed.stdout + killed.stderr).toBe("SIGKILL");
      // The target's checks fail once the dead run can no longer see them.
      e.markImageBad(ref);
      await sleep(300);
      await e.idle();
      e.advanceClock((LEASE_TTL_SECONDS + 1) * 1000);
      const dead = e.releases(APP).at(-1)!;
      expect(dead.status).toBe("running");

      const again = await runCli([...ROLLBACK, "--json"], { env, cwd: box.cwd });
      expect(again.code, again.stdout + again.stderr).toBe(1);
      expect(JSON.parse(again.stdout)).toMatchObject({ status: "failed", reverted: true });
      // Each machine the dead run moved is back on its exact previous config.
      for (const m of managedMachines(e, APP)) {
        expect(m.config, `${m.id} put back`).toEqual(configsBefore.get(m.id));
      }
      expect(e.releases(APP).find((r) => r.id === dead.id)!.status).toBe("failed");
      expect(e.releases(APP).filter((r) => ["pending", "running"].includes(r.status))).toEqual([]);
      expect(e.leases(APP)).toEqual([]);
    } finally {
      await e.close();
      await box.dispose();
    }
  }, 60_000);
});

/**
 * Kill points inside the health wait: the child CLI is SIGKILLed after a machine reported `started` and
 * while it waits for that machine's checks (they report after `checkDelayMs`, so the kill lands in the
 * wait). Half the cases then turn the target bad, so the machines the dead run moved are not healthy when
 * the re-run looks. The re-run is the same command; see docs/reliability.md, "Killed while waiting for
 * checks".
 */
interface HealthKill {
  /** Killed this long after the n-th "<machine>: started" line of a machine with checks. */
  startedLine: number;
  afterMs: number;
  /** The target's checks fail from the kill on. */
  bad: boolean;
  strategy: "rolling" | "immediate";
}
const HEALTH_KILLS: HealthKill[] = [
  { startedLine: 1, afterMs: 0, bad: false, strategy: "rolling" },
  { startedLine: 1, afterMs: 150, bad: true, strategy: "rolling" },
  { startedLine: 3, afterMs: 50, bad: false, strategy: "rolling" },
  { startedLine: 3, afterMs: 200, bad: true, strategy: "rolling" },
  { startedLine: 2, afterMs: 100, bad: false, strategy: "immediate" },
  { startedLine: 2, afterMs: 0, bad: true, strategy: "immediate" },
];
const CHECK_DELAY_MS = 900;

describe.concurrent("the CLI killed while it waits for checks", () => {
  it.each(HEALTH_KILLS.map((k) => [healthKillName(k), k] as const))(
    "%s: the re-run converges, or puts every machine back when the target is not healthy",
    async (_name, kill) => {
      const e = await startEmulator({
        scenario: "demo",
        bootTimeMs: 50,
        checkDelayMs: CHECK_DELAY_MS,
        seed: 11,
      });
      const box = await sandbox();
      try {
        await killInHealthWait(kill, e, box);
      } finally {
        await e.close();
        await box.dispose();
      }
    },
    60_000,
  );
});

function healthKillName(k: HealthKill): string {
  return `${k.strategy}, killed ${k.afterMs} ms after started line ${k.startedLine}${k.bad ? ", target bad afterwards" : ""}`;
}

async function killInHealthWait(kill: HealthKill, e: Emulator, box: Sandbox): Promise<void> {
  const env = emulatorEnv(e, box);
  const label = healthKillName(kill);
  const before = new Map(managedMachines(e, APP).map((m) => [m.id, structuredClone(m.config)]));
  const digestBefore = new Map(managedMachines(e, APP).map((m) => [m.id, m.image_ref?.digest]));
  const releasesBefore = e.releases(APP).length;
  const command = [...ROLLBACK, "--strategy", kill.strategy];
  // Only a machine with checks has a health wait to be killed in (the demo's workers have none).
  const checked = new Set(
    managedMachines(e, APP)
      .filter(
        (m) =>
          Object.keys(m.config?.checks ?? {}).length > 0 ||
          (m.config?.services ?? []).some((s) => (s.checks ?? []).length > 0),
      )
      .map((m) => m.id),
  );
  let started = 0;
  let killedAt: string | null = null;
  const { done } = spawnCli(command, {
    env,
    cwd: box.cwd,
    onLine: (line, proc) => {
      if (!/^[0-9a-f]{14}: started$/.test(line) || !checked.has(line.slice(0, 14))) return;
      if (++started !== kill.startedLine) return;
      killedAt = line.slice(0, 14);
      setTimeout(() => proc.kill("SIGKILL"), kill.afterMs);
    },
  });
  const dead = await done;
  expect(dead.signal, `${label}: ended before the kill\n${dead.stdout}`).toBe("SIGKILL");
  // Killed inside the wait: the machine had started and its checks had not reported yet.
  expect(dead.stdout, label).not.toContain(`${killedAt}: checks passing`);
  if (kill.bad) e.markImageBad(targetRef(e));
  await sleep(200);
  await e.idle();
  expectInvariants(e, label, digestBefore, releasesBefore, [dead]);
  // The dead run's leases lapse by their TTL (the CLI has no option to shorten it).
  e.advanceClock((LEASE_TTL_SECONDS + 1) * 1000);

  const again = await runCli([...command, "--json"], { env, cwd: box.cwd });
  await e.idle();
  expectInvariants(e, label, digestBefore, releasesBefore, [dead, again]);
  expect(e.leases(APP), `${label}: leases after the re-run`).toEqual([]);
  expect(
    e
      .releases(APP)
      .filter((r) => ["pending", "running"].includes(r.status))
      .map((r) => r.version),
    `${label}: releases left open`,
  ).toEqual([]);
  const deadRelease = e.releases(APP)[releasesBefore];
  expect(deadRelease, `${label}: the dead run had recorded its release`).toBeDefined();
  if (kill.bad) {
    // The killed run's machines were not healthy: each is back on its exact previous config, the dead
    // run's release says failed, and the re-run fails without moving anything else.
    expect(again.code, `${label}: ${again.stdout}${again.stderr}`).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: "failed", reverted: true });
    for (const m of managedMachines(e, APP)) {
      expect(m.config, `${label}: ${m.id} on its exact previous config`).toEqual(before.get(m.id));
    }
    expect(deadRelease!.status, label).toBe("failed");
  } else {
    // Healthy: the re-run finishes the job, every machine on the target with its checks passing.
    expect(again.code, `${label}: ${again.stdout}${again.stderr}`).toBe(0);
    for (const m of managedMachines(e, APP)) {
      expect(m.image_ref?.digest, `${label}: ${m.id}`).toBe(TARGET_DIGEST);
    }
    expect(["interrupted", "complete"], label).toContain(deadRelease!.status);
  }
}

function targetRef(e: Emulator): string {
  return e.images(APP).find((i) => i.labels["org.opencontainers.image.version"] === TARGET)!.ref;
}

/**
 * What must hold after every run, dead or alive: every machine on its previous or the target digest, no
 * semfly release `complete` unless every machine runs the target with its checks passing, and the token
 * nowhere in what the CLI printed or Fly recorded, whole or in part.
 */
function expectInvariants(
  e: Emulator,
  label: string,
  digestBefore: ReadonlyMap<string, string | undefined>,
  releasesBefore: number,
  runs: readonly CliRun[],
): void {
  const machines = managedMachines(e, APP);
  for (const m of machines) {
    expect([digestBefore.get(m.id), TARGET_DIGEST], `${label}: ${m.id}`).toContain(
      m.image_ref?.digest,
    );
  }
  const allHealthyOnTarget = machines.every(
    (m) =>
      m.image_ref?.digest === TARGET_DIGEST &&
      (m.state !== "started" ||
        (m.checks ?? []).every((c: { status: string }) => c.status === "passing")),
  );
  for (const release of e.releases(APP).slice(releasesBefore)) {
    if (release.status === "complete") {
      expect(allHealthyOnTarget, `${label}: v${release.version} complete`).toBe(true);
    }
  }
  const recorded = JSON.stringify(e.releases(APP).map((r) => r.metadata));
  const printed = runs.map((r) => r.stdout + r.stderr).join("\n") + recorded;
  const token = e.token;
  for (let at = 0; at + 12 <= token.length; at += 4) {
    expect(printed.includes(token.slice(at, at + 12)), `${label}: part of the token shown`).toBe(
      false,
    );
  }
}
