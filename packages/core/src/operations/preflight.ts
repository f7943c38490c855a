/**
 * The preflight's facts, fetched: release configs of the versions crossed, release-command machines,
 * the app's secrets (names and digests), its volumes. A fact Fly will not give is reported as unknown,
 * never as a failed plan. Also takes volume snapshots for `--snapshot-volumes`.
 */
import { SemflyError } from "../errors.js";
import type { FlyClient } from "../fly/client.js";
import type { RolloutPlan } from "../rollout/plan.js";
import type { VersionEntry, VersionHistory } from "../versions/history.js";
import {
  attachedVolumes,
  crossedMigrations,
  crossedVersions,
  type RolloutPreflight,
  releaseCommandRun,
  type SecretDigest,
  secretDigestRecord,
  secretsSince,
} from "../versions/preflight.js";
import type { FlyMachine } from "../versions/types.js";

export type PreflightClient = Pick<
  FlyClient,
  "releaseDefinitions" | "listMachines" | "appSecrets" | "listVolumes"
>;

export interface LoadedPreflight {
  preflight: RolloutPreflight;
  /** Keys for the release's `metadata.semfly`: the secret digests the new version runs with. */
  recordMetadata: Record<string, unknown>;
}

/** Process group flyctl gives the machine that runs `deploy.release_command`. */
const RELEASE_COMMAND_GROUP = "fly_app_release_command";

export async function loadPreflight(
  client: PreflightClient,
  history: VersionHistory,
  plan: RolloutPlan,
  target: Pick<VersionEntry, "key" | "version"> & Partial<VersionEntry>,
  signal?: AbortSignal,
): Promise<LoadedPreflight> {
  const app = history.app;
  const unknown: string[] = [];
  const call = { signal };
  const crossed = crossedVersions(history, plan.kind, plan.from?.key ?? null, target);
  const releaseNumbers = crossed.flatMap((c) => c.releases.map((r) => r.version));
  const [migrationFacts, secrets, volumes] = await Promise.all([
    loadMigrationFacts(client, app, releaseNumbers, unknown, signal),
    soft<SecretDigest[] | null>(client.appSecrets(app, call), null, signal, () =>
      unknown.push("the app's secrets"),
    ),
    soft(client.listVolumes(app, call), [], signal, () => unknown.push("the app's volumes")),
  ]);
  const { definitions, machines } = migrationFacts;
  const runs = machines
    .filter((m) => m.processGroup === RELEASE_COMMAND_GROUP)
    .map(releaseCommandRun)
    .filter((run) => run !== null);
  const entry = history.versions.find((v) => v.key === target.key);
  const preflight: RolloutPreflight = {
    migrations: crossedMigrations(crossed, definitions, runs),
    secrets: secrets && entry && plan.kind === "rollback" ? secretsSince(entry, secrets) : null,
    volumes: attachedVolumes(
      plan.machines.map((m) => ({ id: m.id, config: m.currentConfig })),
      volumes,
    ),
    unknown,
  };
  return {
    preflight,
    recordMetadata: secrets ? { secrets: secretDigestRecord(secrets) } : {},
  };
}

/**
 * The release configs of the crossed releases and, only when one of them recorded no config (flyctl always
 * records one; `definition: {}` happens), the release-command machines. That listing is an app-wide call Fly
 * rate-limits, so it gets a short budget rather than holding the rollout back.
 */
async function loadMigrationFacts(
  client: PreflightClient,
  app: string,
  releaseNumbers: number[],
  unknown: string[],
  signal: AbortSignal | undefined,
): Promise<{ definitions: Map<number, unknown>; machines: FlyMachine[] }> {
  if (releaseNumbers.length === 0) return { definitions: new Map(), machines: [] };
  const definitions = await soft(
    client.releaseDefinitions(app, releaseNumbers, { signal }),
    new Map<number, unknown>(),
    signal,
    () => unknown.push("the release configs of the versions crossed (release commands)"),
  );
  const unrecorded = releaseNumbers.some((n) => !hasConfig(definitions.get(n)));
  if (!unrecorded) return { definitions, machines: [] };
  const budget = AbortSignal.timeout(MACHINE_LOOKUP_BUDGET_MS);
  const machines = await soft(
    client.listMachines(app, {
      includeDeleted: true,
      signal: signal ? AbortSignal.any([signal, budget]) : budget,
    }),
    [],
    signal,
    () => unknown.push("the release-command machines (releases without a recorded config)"),
  );
  return { definitions, machines };
}

const MACHINE_LOOKUP_BUDGET_MS = 750;

function hasConfig(definition: unknown): boolean {
  return (
    typeof definition === "object" && definition !== null && Object.keys(definition).length > 0
  );
}

/** A preflight fact that failed to load is noted, not fatal; the caller's cancellation still is. */
async function soft<T>(
  promise: Promise<T>,
  fallback: T,
  signal: AbortSignal | undefined,
  note: () => void,
): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (signal?.aborted) throw error;
    note();
    return fallback;
  }
}

export type SnapshotClient = Pick<FlyClient, "createVolumeSnapshot" | "listVolumeSnapshots">;

export interface TakenSnapshot {
  volumeId: string;
  machineId: string;
  snapshotId: string;
  status: string;
}

/** Statuses that mean "not finished yet": doc.json does not enumerate them, so anything else counts as done. */
const SNAPSHOT_PENDING = new Set(["creating", "pending", "running", "in_progress", ""]);

/**
 * Snapshot each volume and wait for each new snapshot to finish. The create call returns no body, so the
 * new snapshot is the one that was not in the listing before it.
 */
export async function snapshotVolumes(
  client: SnapshotClient,
  app: string,
  volumes: readonly { volumeId: string; machineId: string }[],
  options: { signal?: AbortSignal; timeoutMs?: number; pollMs?: number } = {},
): Promise<TakenSnapshot[]> {
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  const pollMs = options.pollMs ?? 1000;
  const call = { signal: options.signal };
  return Promise.all(
    volumes.map(async (volume) => {
      const before = new Set(
        (await client.listVolumeSnapshots(app, volume.volumeId, call)).map((s) => s.id),
      );
      await client.createVolumeSnapshot(app, volume.volumeId, call);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const fresh = (await client.listVolumeSnapshots(app, volume.volumeId, call)).filter(
          (s) => !before.has(s.id),
        );
        const done = fresh.find((s) => !SNAPSHOT_PENDING.has(s.status.toLowerCase()));
        if (done) {
          return {
            volumeId: volume.volumeId,
            machineId: volume.machineId,
            snapshotId: done.id,
            status: done.status,
          };
        }
        if (Date.now() > deadline) {
          throw new SemflyError({
            code: "SNAPSHOT_TIMEOUT",
            message: `The snapshot of volume ${volume.volumeId} did not finish within ${Math.round(timeoutMs / 1000)}s: nothing was changed.`,
            suggestion:
              "Check `fly volumes snapshots list`, then run again, or drop --snapshot-volumes.",
          });
        }
        await sleep(pollMs, options.signal);
      }
    }),
  );
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
