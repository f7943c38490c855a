/**
 * An instant rollback killed on its way (SIGKILL: nothing runs on the way out), for the suites that check
 * what the next run makes of it. The kill is a client whose connections are all destroyed at the chosen
 * point: nothing it would still send reaches Fly, and what it had sent (held up by a delay fault) still
 * takes effect, as on Fly.
 */
import { Agent } from "undici";
import { expect } from "vitest";
import {
  createFlyClient,
  executeRollout,
  type FlyClient,
  instantRollback,
  PARKED_UNTIL_KEY,
  prepareDeploy,
  prepareRollback,
  type RolloutEvent,
  type RolloutResult,
} from "../../src/index.js";
import {
  APP,
  FAST_CLIENT_LIMITS,
  FAST_TIMING,
  latestRelease,
  managedMachines,
  type World,
} from "./world.js";

/** The engine's default lease TTL: a dead run's leases lapse after it. */
const LEASE_TTL_SECONDS = 30;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The app's machines labelled parked, as the emulator holds them. */
export function parkedMachines(world: World) {
  return world.emulator
    .machines(APP)
    .filter((m) => m.state !== "destroyed" && m.config?.metadata?.[PARKED_UNTIL_KEY]);
}

/** The app's managed machines not labelled parked. */
export function unlabelledMachines(world: World) {
  const parked = new Set(parkedMachines(world).map((m) => m.id));
  return managedMachines(world.emulator).filter((m) => !parked.has(m.id));
}

/** The digest the parked set runs: what semfly resolves the rollback target by. */
export function parkedDigest(world: World): string {
  return parkedMachines(world)[0]!.config!.metadata!.semfly_parked_digest!;
}

/** A client of the world's emulator, and the kill that destroys its connections 100 ms later. */
export function doomedClient(world: World): { client: FlyClient; kill: () => void } {
  const agent = new Agent();
  const client = createFlyClient({
    token: world.emulator.token,
    apiBaseUrl: world.emulator.url,
    flapsBaseUrl: world.emulator.url,
    uiexBaseUrl: world.emulator.url,
    dispatcher: agent,
    retry: { minDelayMs: 5, maxDelayMs: 50 },
    rateLimit: FAST_CLIENT_LIMITS,
  });
  let killed = false;
  const kill = () => {
    if (killed) return;
    killed = true;
    setTimeout(() => void agent.destroy(), 100);
  };
  return { client, kill };
}

/** An instant rollback to the parked version through `client`; what it ended with, or what it threw. */
export async function startInstant(
  world: World,
  client: FlyClient,
  onEvent: (e: RolloutEvent) => void,
  keepPreviousMs?: number,
): Promise<{ status: string; reason: string | null }> {
  const { plan } = await prepareRollback(world.client, APP, {
    target: { spec: parkedDigest(world) },
    strategy: "bluegreen",
  });
  return instantRollback(client, plan, await world.client.listMachines(APP), {
    timing: FAST_TIMING,
    waitTimeoutMs: 3_000,
    onEvent,
    ...(keepPreviousMs === undefined ? {} : { keepPreviousMs }),
  }).catch((error: unknown) => ({ status: "threw", reason: String(error) }));
}

/** What the dead run had sent lands; then its leases lapse by their TTL. */
export async function afterKill(world: World): Promise<void> {
  world.emulator.setFaults({});
  await sleep(500);
  await world.emulator.idle();
  world.emulator.advanceClock((LEASE_TTL_SECONDS + 1) * 1000);
}

/**
 * Start an instant rollback to the parked 3.1.12 and kill it: once every parked machine's start is on its
 * way ("wake"), once the parked set is healthy with its label writes on their way ("labels"), or once the
 * parked set is uncordoned with the cordons of the current set on their way ("cordon").
 */
export async function killedInstant(world: World, at: "wake" | "labels" | "cordon") {
  const operation = {
    wake: "machines.start",
    labels: "machines.metadata.patch",
    cordon: "machines.cordon",
  }[at];
  world.emulator.setFaults({ rules: [{ operation, action: { type: "delay", ms: 400 } }] });
  const restoring = parkedMachines(world).map((m) => m.id);
  const labelsBefore = Object.fromEntries(
    parkedMachines(world).map((m) => [m.id, { ...(m.config!.metadata as Record<string, string>) }]),
  );
  const serving = unlabelledMachines(world).map((m) => m.id);
  const target = parkedDigest(world);
  const { client, kill } = doomedClient(world);
  const run = startInstant(world, client, (event) => {
    if (at === "labels" && event.type === "checks-passing") kill();
    if (at === "wake" && event.type === "release-status" && event.status === "running") kill();
  });
  if (at === "cordon") {
    const uncordoned = () => restoring.every((id) => !world.emulator.machine(APP, id).cordoned);
    while (!uncordoned()) await sleep(5);
    kill();
  }
  const ended = await run;
  await afterKill(world);
  const dead = latestRelease(world.emulator);
  expect(dead.status, `the run ended ${ended.status}: ${ended.reason}`).toBe("running");
  return { dead, restoring, serving, target, labelsBefore };
}

/** What must hold once the app is whole: nothing labelled parked runs, nothing unlabelled is cordoned. */
export function expectWhole(world: World): void {
  for (const m of parkedMachines(world)) expect(["stopped", "suspended"], m.id).toContain(m.state);
  for (const m of unlabelledMachines(world)) expect(m.cordoned, m.id).toBe(false);
  expect(world.emulator.leases(APP)).toEqual([]);
}

/** The next run users make most: a rolling rollback to the parked version, 3.1.12. */
export async function rollingRollbackTo3112(world: World): Promise<RolloutResult> {
  const { plan } = await prepareRollback(world.client, APP, {
    target: { spec: "3.1.12" },
    strategy: "rolling",
  });
  return executeRollout(world.client, plan, { timing: FAST_TIMING, waitTimeoutMs: 3_000 });
}

/** The other: a deploy of 3.2.0, the version that served before the killed rollback. */
export async function deploy320(world: World): Promise<RolloutResult> {
  const { plan } = await prepareDeploy(world.client, APP, {
    version: "3.2.0",
    imageRef: "registry.fly.io/acme-web:3.2.0",
  });
  return executeRollout(world.client, plan, { timing: FAST_TIMING, waitTimeoutMs: 2_000 });
}

/** Every helper above, bound to the suite's current world (a fresh one per test). */
export function killHarness(current: () => World) {
  return {
    parked: () => parkedMachines(current()),
    unlabelled: () => unlabelledMachines(current()),
    parkedDigest: () => parkedDigest(current()),
    doomedClient: () => doomedClient(current()),
    startInstant: (
      client: FlyClient,
      onEvent: (e: RolloutEvent) => void,
      keepPreviousMs?: number,
    ) => startInstant(current(), client, onEvent, keepPreviousMs),
    afterKill: () => afterKill(current()),
    killedInstant: (at: "wake" | "labels" | "cordon") => killedInstant(current(), at),
    expectWhole: () => expectWhole(current()),
    rollingRollbackTo3112: () => rollingRollbackTo3112(current()),
    deploy320: () => deploy320(current()),
  };
}
