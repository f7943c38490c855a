// @module-tag slow: seconds of real waiting (see vitest.config.ts); `pnpm test:fast` skips this file.
import { type CheckStatusJson, scenario } from "@semfly/fly-emulator";
import { describe, expect, it } from "vitest";
import {
  executeRollout,
  loadVersionHistory,
  prepareRollback,
  type RolloutEvent,
} from "../../src/index.js";
import { FAST_TIMING } from "../rollout/world.js";
import {
  APP,
  capture,
  DEMO_REFS,
  expectPromiseKept,
  isManaged,
  startWorld,
  type World,
  type WorldOptions,
} from "./harness.js";

/** Each case has its own emulator, so the cases (mostly waiting on checks and timeouts) run at once. */
async function withWorld(options: WorldOptions, test: (world: World) => Promise<void>) {
  const world = await startWorld(options);
  try {
    await test(world);
  } finally {
    await world.close();
  }
}

/** Roll back with the canary strategy and check the promise; `settle` waits for machines to finish booting. */
async function rollbackTo(
  world: World,
  spec: string,
  options: Parameters<typeof executeRollout>[2] = {},
  settle = true,
) {
  const before = capture(world.emulator);
  const { plan } = await prepareRollback(world.client, APP, {
    target: { spec },
    strategy: "canary",
  });
  const result = await executeRollout(world.client, plan, { timing: FAST_TIMING, ...options });
  if (settle) await world.emulator.idle();
  await expectPromiseKept(
    world,
    { result },
    { label: `rollback to ${spec}`, before, target: plan.to.digest, leaseTtlSeconds: 30 },
  );
  return result;
}

/** One machine; the emulator's own check reporting is pushed out of the way so the test decides. */
const ONE_MACHINE: WorldOptions = {
  scenario: scenario(APP)
    .image("1.0.0")
    .image("1.0.1")
    .release({ image: "1.0.0" })
    .release({ image: "1.0.1" })
    .machines(1),
  checkDelayMs: 60_000,
};

/**
 * Make the machine's checks report exactly `sequence[n]` at the n-th time the engine polls it after its
 * update: each status is set as soon as the previous poll has been answered. Returns the listener to pass
 * to executeRollout, and the number of polls seen.
 */
function flapping(world: World, sequence: CheckStatusJson["status"][]) {
  const { emulator } = world;
  const id = emulator.machines(APP)[0]!.id;
  let polls = 0;
  let watcher: NodeJS.Timeout | null = null;
  const answered = () =>
    emulator.requestLog.filter(
      (r) => r.operation === "machines.get" && r.path.endsWith(`/${id}`) && r.status === 200,
    ).length;
  const onEvent = (event: RolloutEvent) => {
    if (event.type !== "machine-updated" || watcher) return;
    const startAt = answered();
    emulator.setChecks(APP, id, sequence[0]!);
    watcher = setInterval(() => {
      const seen = answered() - startAt;
      if (seen === polls) return;
      polls = seen;
      emulator.setChecks(APP, id, sequence[Math.min(polls, sequence.length - 1)]!);
    }, 2);
  };
  return {
    onEvent,
    polls: () => polls,
    stop: () => {
      if (watcher) clearInterval(watcher);
    },
  };
}

async function rollbackWhileFlapping(world: World, sequence: CheckStatusJson["status"][]) {
  const flap = flapping(world, sequence);
  try {
    const result = await rollbackTo(world, "1.0.0", { onEvent: flap.onEvent }, false);
    return { result, polls: flap.polls() };
  } finally {
    flap.stop();
  }
}

describe.concurrent("health checks decide whether a machine made it", () => {
  it("reverts every changed machine when the target's checks go critical after the update", () =>
    withWorld({}, async (world) => {
      world.emulator.markImageBad(DEMO_REFS["3.1.11"]);
      const result = await rollbackTo(world, "3.1.11");
      expect(result.status).toBe("failed");
      expect(result.reverted).toBe(true);
      expect(result.reason).toMatch(/health check servicecheck-00-http-8080 is critical/);
      expect(result.machines.filter((m) => m.result === "reverted")).toHaveLength(1);
      expect(world.emulator.releases(APP).at(-1)?.status).toBe("failed");
    }));

  it("completes when checks flap between critical and warning and end passing", () =>
    withWorld(ONE_MACHINE, async (world) => {
      const { result, polls } = await rollbackWhileFlapping(world, [
        "critical",
        "critical",
        "warning",
        "critical",
        "critical",
        "passing",
      ]);
      expect(result.status, result.reason ?? "").toBe("complete");
      // The engine saw the whole sequence: no shortcut, no early failure.
      expect(polls).toBe(6);
    }));

  it("fails the machine at the third critical poll in a row, and puts it back", () =>
    withWorld(ONE_MACHINE, async (world) => {
      const { result, polls } = await rollbackWhileFlapping(world, [
        "critical",
        "warning",
        "critical",
        "critical",
        "critical",
      ]);
      expect(result.status).toBe("failed");
      expect(result.reverted).toBe(true);
      expect(result.reason).toMatch(/health check httpget is critical/);
      expect(polls).toBe(5);
    }));

  it("treats one critical poll during boot as noise", () =>
    withWorld(ONE_MACHINE, async (world) => {
      const { result } = await rollbackWhileFlapping(world, ["critical", "passing"]);
      expect(result.status).toBe("complete");
    }));

  // Fly's wait endpoint only waits for started/stopped/destroyed, so the engine waits in slices and looks
  // at the machine between them: a machine that goes `failed` is noticed then, not at the wait timeout.
  it("reverts when the target machine fails to start, from a look at the machine", () =>
    withWorld({}, async (world) => {
      world.emulator.markImageNeverStarts(DEMO_REFS["3.1.11"], "fail");
      const result = await rollbackTo(world, "3.1.11", { waitTimeoutMs: 2000 });
      expect(result.status).toBe("failed");
      expect(result.reverted).toBe(true);
      expect(result.reason).toMatch(/^Machine \w+ failed: the machine is failed; /);
      // Back on the old version and running, except the cold machines, which never started.
      const notRunning = world.emulator
        .machines(APP)
        .filter((m) => isManaged(m) && m.state !== "started")
        .map((m) => m.id);
      expect(notRunning.sort()).toEqual(["2b7e4c9d1a0f53", "9080524f612387"]);
      const history = await loadVersionHistory(world.client, APP);
      expect(history.live?.version).toBe("3.1.12");
      expect(history.drift).toBe(false);
    }));

  it("reverts when the target machine hangs while starting, after the wait timeout", () =>
    withWorld({}, async (world) => {
      world.emulator.markImageNeverStarts(DEMO_REFS["3.1.11"], "hang");
      const started = Date.now();
      const result = await rollbackTo(world, "3.1.11", { waitTimeoutMs: 1000 });
      expect(result.status).toBe("failed");
      expect(result.reverted).toBe(true);
      expect(result.reason).toMatch(/did not become healthy within the wait timeout \(1s\)/);
      // Bounded by the wait timeout, not by Fly's 60 s long poll.
      expect(Date.now() - started).toBeLessThan(10_000);
    }));

  it("reverts when checks never report within the wait timeout", () =>
    withWorld({ checkDelayMs: 60_000 }, async (world) => {
      const result = await rollbackTo(world, "3.1.11", { waitTimeoutMs: 1500 }, false);
      expect(result.status).toBe("failed");
      expect(result.reverted).toBe(true);
      expect(result.reason).toMatch(/wait timeout \(1500ms\)/);
    }));

  it("leaves the machines as they are with revert off, and says the app is mixed", () =>
    withWorld({}, async (world) => {
      world.emulator.markImageBad(DEMO_REFS["3.1.11"]);
      const { plan } = await prepareRollback(world.client, APP, {
        target: { spec: "3.1.11" },
        strategy: "canary",
      });
      const result = await executeRollout(world.client, plan, {
        timing: FAST_TIMING,
        revert: false,
      });
      expect(result.status).toBe("failed");
      expect(result.reverted).toBe(false);
      expect(result.liveNow).toBeNull();
      expect(world.emulator.leases(APP)).toEqual([]);
      expect(world.emulator.releases(APP).at(-1)?.status).toBe("failed");
      const history = await loadVersionHistory(world.client, APP);
      expect(history.drift).toBe(true);
    }));
});
