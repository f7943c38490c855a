/**
 * Shared by the reliability suites: a fresh emulator per run, a client tuned for fast retries, a seeded
 * random source, the fault mix, and the check of semfly's promise after a run.
 */
import {
  type Emulator,
  type EmulatorOptions,
  type FaultRule,
  type Faults,
  type MachineJson,
  startEmulator,
} from "@semfly/fly-emulator";
import { expect } from "vitest";
import {
  createFlyClient,
  type FlyClient,
  type FlyClientOptions,
  isSemflyError,
  type RolloutResult,
} from "../../src/index.js";
import { FAST_CLIENT_LIMITS, FAST_SERVER_LIMITS } from "../rollout/world.js";

export const APP = "acme-web";
export const DEMO_DIGESTS = {
  "3.1.9": "sha256:185146e67783d47b9c68b7fa41701545826488080797905cd15d357d79fff68b",
  "3.1.10": "sha256:27c9063065c4804d358924930c263f3e013b62ef1a5abf2399966b34dfdb0655",
  "3.1.11": "sha256:98059fbd9b6f5e5580e59b3cee8dd6a8e1cb0347842dfa3fe7fef51d3053ba59",
  "3.1.12": "sha256:ed5c6ce26bc7cf3f7a197ee6cae6d63aa415b2de67a05678aec46d67a0369979",
} as const;
export const DEMO_REFS = {
  "3.1.9": "registry.fly.io/acme-web:3.1.9",
  "3.1.10": "registry.fly.io/acme-web:3.1.10",
  "3.1.11": "registry.fly.io/acme-web:v3.1.11",
  "3.1.12": "registry.fly.io/acme-web:3.1.12",
} as const;

/** mulberry32: the test's own choices (target, strategy, fault timing) follow the seed too. */
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
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

export interface World {
  emulator: Emulator;
  client: FlyClient;
  /** Every line the client's `debug` callback received. */
  debugLines: string[];
  close(): Promise<void>;
}

export interface WorldOptions extends EmulatorOptions {
  client?: Partial<FlyClientOptions>;
}

/** A fresh emulator (demo app unless told) with fast machines, and a client that retries quickly. */
export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const { client: clientOptions, ...emulatorOptions } = options;
  const emulator = await startEmulator({
    scenario: "demo",
    bootTimeMs: 30,
    checkDelayMs: 10,
    seed: 7,
    rateLimits: FAST_SERVER_LIMITS,
    ...emulatorOptions,
  });
  const debugLines: string[] = [];
  const client = createFlyClient({
    token: emulator.token,
    apiBaseUrl: emulator.url,
    flapsBaseUrl: emulator.url,
    uiexBaseUrl: emulator.url,
    // Fast backoff; a Retry-After is honoured but capped so a run stays short.
    retry: { minDelayMs: 5, maxDelayMs: 50, maxRetryAfterMs: 50 },
    debug: (line) => debugLines.push(line),
    rateLimit: FAST_CLIENT_LIMITS,
    ...clientOptions,
  });
  return { emulator, client, debugLines, close: () => emulator.close() };
}

/**
 * `rate` of all requests, on every endpoint, meet a fault: a 5xx (500/502/503/504), a 429 with
 * Retry-After, a dropped connection, an answer lost (502 or dropped) after the request took effect, or a
 * slow answer. Rules are tried in order and each draws
 * separately, so each is given the probability that makes its share of all requests come out right.
 */
export function faultMix(rate: number, slowMs: number): Faults {
  const shares: Array<[number, FaultRule["action"]]> = [
    [0.1, { type: "status", status: 500 }],
    [0.1, { type: "status", status: 502 }],
    [0.05, { type: "status", status: 503 }],
    [0.05, { type: "status", status: 504 }],
    [0.2, { type: "status", status: 429, retryAfterSeconds: 1 }],
    [0.1, { type: "drop" }],
    // Answers lost after Fly applied the request: semfly cannot tell from the answer what happened.
    [0.1, { type: "status", status: 502, afterHandling: true }],
    [0.1, { type: "drop", afterHandling: true }],
    [0.2, { type: "delay", ms: slowMs }],
  ];
  let taken = 0;
  const rules: FaultRule[] = shares.map(([share, action]) => {
    const probability = (rate * share) / (1 - taken);
    taken += rate * share;
    return { probability, action };
  });
  return { rules };
}

/** What the app looked like before a run: every machine's digest and whole config. */
export interface Before {
  machines: Map<string, { digest: string | null; config: MachineJson["config"] }>;
  releaseCount: number;
}

export function capture(emulator: Emulator, app = APP): Before {
  return {
    machines: new Map(
      emulator
        .machines(app)
        .map((m) => [m.id, { digest: m.image_ref?.digest ?? null, config: m.config }]),
    ),
    releaseCount: emulator.releases(app).length,
  };
}

/** The machine config a rollout may change: the image and flyctl's release keys. */
function withoutRolloutKeys(config: MachineJson["config"]) {
  const { image: _image, metadata, ...rest } = config ?? ({} as NonNullable<typeof config>);
  const { fly_release_id: _id, fly_release_version: _version, ...keep } = metadata ?? {};
  return { ...rest, metadata: keep };
}

export interface PromiseContext {
  /** Printed with every failed assertion so that the run can be replayed. */
  label: string;
  before: Before;
  target: string;
  leaseTtlSeconds: number;
  app?: string;
  /**
   * Accept a failed run that could not put every machine back, if it says so exactly. Reverts are
   * retried a bounded number of times, so at fault rates above the documented 10% this happens.
   */
  allowHonestRevertFailure?: boolean;
}

/** fly-go's ListFlyAppsMachines: what a rollout manages. */
export function isManaged(machine: MachineJson): boolean {
  const metadata = machine.config?.metadata ?? {};
  return (
    metadata.fly_platform_version === "v2" &&
    machine.state !== "destroyed" &&
    machine.state !== "destroying" &&
    !(metadata.fly_process_group ?? "").startsWith("fly_app_") &&
    metadata.process_group !== "release_command"
  );
}

/**
 * semfly's promise after a run, whatever happened: every machine runs the version it had before or the
 * target; a complete result means all on the target (only image and release keys changed); a reverted
 * failure means all on their exact previous config; no lease is left held (or, when the result warned
 * that one could not be released, it expires by its TTL); the newest release's status is the result's.
 */
export async function expectPromiseKept(
  world: World,
  outcome: { result: RolloutResult } | { error: unknown },
  context: PromiseContext,
): Promise<void> {
  const { emulator } = world;
  const { label, before, target } = context;
  const app = context.app ?? APP;
  const all = emulator.machines(app);
  expect(all.length, `${label}: machine count`).toBe(before.machines.size);
  // Machines outside Fly Launch management are never touched, whatever happened.
  for (const machine of all.filter((m) => !isManaged(m))) {
    expect(machine.config, `${label}: unmanaged ${machine.id} untouched`).toEqual(
      before.machines.get(machine.id)?.config,
    );
  }
  const machines = all.filter(isManaged);
  for (const machine of machines) {
    const was = before.machines.get(machine.id);
    const digest = machine.image_ref?.digest ?? null;
    expect([was?.digest, target], `${label}: machine ${machine.id} runs ${digest}`).toContain(
      digest,
    );
  }

  if ("error" in outcome) {
    // A run that throws must have stopped before changing anything, with a clear one-line error.
    const error = outcome.error;
    expect(isSemflyError(error), `${label}: threw ${String(error)}`).toBe(true);
    const message = (error as Error).message;
    expect(message, `${label}: error message is one line`).not.toMatch(/\n/);
    for (const machine of machines) {
      expect(machine.config, `${label}: ${machine.id} unchanged after ${message}`).toEqual(
        before.machines.get(machine.id)?.config,
      );
    }
    expect(emulator.releases(app).length, `${label}: no release recorded by ${message}`).toBe(
      before.releaseCount,
    );
    await expectLeasesGone(world, context, `${label} (threw ${message})`, true);
    return;
  }

  const { result } = outcome;
  const summary = `${label}: ${result.status}${result.reverted ? " (reverted)" : ""}: ${result.reason ?? ""} [warnings: ${result.warnings.join(" | ")}]`;
  if (result.status === "complete") {
    for (const machine of machines) {
      expect(machine.image_ref?.digest, `${summary}: ${machine.id} on the target`).toBe(target);
      expect(
        withoutRolloutKeys(machine.config),
        `${summary}: ${machine.id} changed only image and release keys`,
      ).toEqual(withoutRolloutKeys(before.machines.get(machine.id)?.config));
    }
  } else if (!result.reverted && context.allowHonestRevertFailure) {
    // Not every machine could be put back: the result must say which, and that the app is mixed.
    expect(result.status, summary).toBe("failed");
    const stuck = result.machines.filter((m) => m.result === "revert-failed").map((m) => m.id);
    expect(stuck.length, `${summary}: names the machines it could not put back`).toBeGreaterThan(0);
    expect(result.liveNow, summary).toBeNull();
    for (const machine of machines) {
      if (stuck.includes(machine.id)) continue;
      expect(machine.config, `${summary}: ${machine.id} back on its exact config`).toEqual(
        before.machines.get(machine.id)?.config,
      );
    }
  } else {
    expect(result.status, summary).toBe("failed");
    expect(result.reverted, `${summary}: a failed run puts every machine back`).toBe(true);
    for (const machine of machines) {
      expect(machine.config, `${summary}: ${machine.id} back on its exact config`).toEqual(
        before.machines.get(machine.id)?.config,
      );
    }
    expect(result.liveNow?.key, summary).toBe(result.from?.key);
  }
  await expectLeasesGone(world, context, summary, warnedAboutLeases(result));

  if (result.release) {
    const release = emulator.releases(app).find((r) => r.version === result.release?.version);
    const recorded = release?.status;
    const warned = result.warnings.some((w) =>
      new RegExp(`^Could not mark release v${result.release?.version} `).test(w),
    );
    if (recorded !== result.status) {
      expect(warned, `${summary}: release v${result.release.version} says ${recorded}`).toBe(true);
    }
    expect(emulator.releases(app).length, `${summary}: one release recorded`).toBe(
      before.releaseCount + 1,
    );
  } else {
    expect(emulator.releases(app).length, `${summary}: no release recorded`).toBe(
      before.releaseCount,
    );
  }
}

function warnedAboutLeases(result: RolloutResult): boolean {
  return result.warnings.some((w) => /leases could not be released/.test(w));
}

/** No lease left; when one may legitimately remain, it must be gone once its TTL has passed. */
async function expectLeasesGone(
  world: World,
  context: PromiseContext,
  label: string,
  mayWaitForTtl: boolean,
): Promise<void> {
  const app = context.app ?? APP;
  const held = world.emulator.leases(app);
  if (held.length === 0) return;
  expect(mayWaitForTtl, `${label}: leases left held: ${JSON.stringify(held)}`).toBe(true);
  const now = Date.parse((world.emulator.snapshot() as { now: string }).now) / 1000;
  for (const lease of held) {
    expect(lease.expires_at - now, `${label}: lease TTL`).toBeLessThanOrEqual(
      context.leaseTtlSeconds + 1,
    );
  }
  world.emulator.advanceClock((context.leaseTtlSeconds + 1) * 1000);
  expect(world.emulator.leases(app), `${label}: leases expire by their TTL`).toEqual([]);
}

/** semfly's releases left `pending` or `running` after every run has ended: a record that lies. */
export function releasesInFlight(world: World, app = APP): string[] {
  return world.emulator
    .releases(app)
    .filter((r) => r.status === "pending" || r.status === "running")
    .map((r) => `v${r.version} ${r.status}`);
}
