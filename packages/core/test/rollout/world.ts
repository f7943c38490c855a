import { type Emulator, startEmulator } from "@semfly/fly-emulator";
import {
  createFlyClient,
  createRegistryClient,
  executeRollout,
  type FlyClient,
  prepareDeploy,
  type RegistryClient,
  type RolloutTiming,
} from "../../src/index.js";

export const APP = "acme-web";

export interface World {
  emulator: Emulator;
  client: FlyClient;
  /** The emulator's registries, registry.fly.io with the emulator's token. */
  registry: RegistryClient;
  close(): Promise<void>;
}

/**
 * Fly's Machines API limits (1 req/s per action with bursts of 3; Get Machine 5 req/s, bursts of 10) run 20
 * times faster: the emulator enforces these, and the client paces itself under them (10%, one less in a
 * burst) as it does against Fly. A bluegreen deploy creates one machine per second at the real rate:
 * seconds of waiting per test.
 */
export const FAST_SERVER_LIMITS = { perSecond: 20, burst: 3, getPerSecond: 100, getBurst: 10 };
export const FAST_CLIENT_LIMITS = {
  perAction: { perSecond: 18, burst: 2 },
  getMachine: { perSecond: 90, burst: 9 },
};

/** The demo app on a fresh emulator, with fast machines so a rollout takes well under a second. */
export async function demoWorld(options: Parameters<typeof startEmulator>[0] = {}): Promise<World> {
  const emulator = await startEmulator({
    scenario: "demo",
    bootTimeMs: 30,
    checkDelayMs: 10,
    seed: 7,
    rateLimits: FAST_SERVER_LIMITS,
    ...options,
  });
  const client = createFlyClient({
    token: emulator.token,
    apiBaseUrl: emulator.url,
    flapsBaseUrl: emulator.url,
    uiexBaseUrl: emulator.url,
    metricsBaseUrl: emulator.url,
    retry: { minDelayMs: 5, maxDelayMs: 50 },
    rateLimit: FAST_CLIENT_LIMITS,
  });
  const registry = createRegistryClient({
    flyToken: emulator.token,
    baseUrl: emulator.env.SEMFLY_REGISTRY_URL,
    // No docker config of the developer's answers for a test.
    dockerConfig: { env: { DOCKER_CONFIG: "/nonexistent/semfly-test" } },
  });
  return { emulator, client, registry, close: () => emulator.close() };
}

/** The image digest each machine of the app runs, by machine id. */
export function digestsOf(emulator: Emulator): Record<string, string | null> {
  return Object.fromEntries(
    managedMachines(emulator).map((m) => [m.id, m.image_ref?.digest ?? null]),
  );
}

export function latestRelease(emulator: Emulator) {
  const releases = emulator.releases(APP);
  return releases.reduce((a, b) => (a.version > b.version ? a : b));
}

/**
 * Short engine delays: the emulator answers in milliseconds, so real-life slices would only slow tests. The
 * crash watch makes three event reads, the client-side rate limit's burst for one machine.
 */
export const FAST_TIMING: Partial<RolloutTiming> = {
  waitSliceSeconds: 1,
  checkPollMinMs: 10,
  checkPollMaxMs: 40,
  crashWatchMs: 100,
  crashPollMs: 50,
};

/** The machines a Fly Launch deploy manages (fly-go ListFlyAppsMachines): what a rollout may touch. */
export function managedMachines(emulator: Emulator) {
  return emulator
    .machines(APP)
    .filter(
      (m) =>
        m.config?.metadata?.fly_platform_version === "v2" &&
        m.state !== "destroyed" &&
        m.state !== "destroying" &&
        !String(m.config?.metadata?.fly_process_group ?? "").startsWith("fly_app_"),
    );
}

/** The demo app after a bluegreen deploy of 3.2.0: 3.1.12, the version it replaced, is parked. */
export async function parkedWorld(): Promise<World> {
  const world = await demoWorld();
  world.emulator.addImage(APP, { ref: "registry.fly.io/acme-web:3.2.0" });
  const { plan } = await prepareDeploy(world.client, APP, {
    version: "3.2.0",
    imageRef: "registry.fly.io/acme-web:3.2.0",
    strategy: "bluegreen",
  });
  const deployed = await executeRollout(world.client, plan, { timing: FAST_TIMING });
  if (deployed.status !== "complete") {
    throw new Error(`the set-up's bluegreen deploy ended ${deployed.status}: ${deployed.reason}`);
  }
  return world;
}
