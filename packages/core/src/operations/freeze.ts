/**
 * Setting and lifting a freeze on Fly itself, with no server of ours: the freeze is one metadata key on
 * every app machine (read back in the machines listing that `versions` and `status` already make), and a
 * record in the metadata of the current release as an audit trail. Fly's release metadata semantics
 * (merge or replace, allowed after `complete`) are uncertain, so the verdict never depends on it: the
 * record is best effort and a failure to write it is a warning.
 */
import { SemflyError } from "../errors.js";
import type { FlyClient } from "../fly/client.js";
import { settleLimit } from "../rollout/concurrency.js";
import {
  encodeFreeze,
  FREEZE_METADATA_KEY,
  FREEZE_RELEASE_KEY,
  type Freeze,
  historyFreeze,
} from "../versions/freeze.js";
import type { VersionHistory } from "../versions/history.js";
import { releaseInProgress } from "../versions/release-status.js";

export type FreezeClient = Pick<
  FlyClient,
  "setMachineMetadata" | "deleteMachineMetadata" | "currentRelease" | "updateRelease"
>;

/** Metadata writes are per machine (1 req/s each); a few at once keeps a large app quick without a burst. */
const WRITE_CONCURRENCY = 8;

export interface FreezeOutcome {
  freeze: Freeze;
  /** The machines that now carry it. */
  machineIds: string[];
  /** The release whose metadata records it, or null when that record could not be written. */
  recordedOn: number | null;
  warnings: string[];
}

export interface UnfreezeOutcome {
  /** The freeze that was lifted (expired ones included), or null when there was none. */
  lifted: Freeze | null;
  machineIds: string[];
  recordedOn: number | null;
  warnings: string[];
}

function messageOf(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}

/** Write the freeze to every app machine of the history; the history is not changed. */
export async function freezeApp(
  client: FreezeClient,
  history: VersionHistory,
  freeze: Freeze,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<FreezeOutcome> {
  const machines = history.machines.map((info) => info.machine);
  if (machines.length === 0) {
    throw new SemflyError({
      code: "FREEZE_NO_MACHINES",
      kind: "input",
      message: `${history.app} has no machines to hold a freeze.`,
      suggestion: "A freeze lives in the metadata of the app's machines; deploy a machine first.",
    });
  }
  const value = encodeFreeze(freeze);
  const settled = await settleLimit(machines, WRITE_CONCURRENCY, (machine) =>
    client.setMachineMetadata(history.app, machine.id, FREEZE_METADATA_KEY, value, {
      signal: options.signal,
    }),
  );
  const machineIds = machines.filter((_, i) => settled[i]!.status === "fulfilled").map((m) => m.id);
  const failures = failedWrites(machines, settled);
  if (machineIds.length === 0) {
    throw new SemflyError({
      code: "FREEZE_FAILED",
      message: `Could not freeze ${history.app}: ${failures[0]}`,
      suggestion: "Nothing was frozen; try again.",
      cause: firstRejection(settled),
    });
  }
  const warnings = failures.map((failure) => `Not frozen: ${failure}`);
  const record = await recordOnRelease(
    client,
    history.app,
    { state: "frozen", ...freeze },
    options,
  );
  if (record.warning) warnings.push(record.warning);
  return { freeze, machineIds, recordedOn: record.release, warnings };
}

/** Remove the freeze from every machine that carries one; still frozen machines make it an error. */
export async function unfreezeApp(
  client: FreezeClient,
  history: VersionHistory,
  input: { by: string; now: number; signal?: AbortSignal | undefined },
): Promise<UnfreezeOutcome> {
  const machines = history.machines.map((info) => info.machine);
  const state = historyFreeze(history, input.now);
  if (!state) return { lifted: null, machineIds: [], recordedOn: null, warnings: [] };
  const carriers = machines.filter((m) => state.machineIds.includes(m.id));
  const settled = await settleLimit(carriers, WRITE_CONCURRENCY, (machine) =>
    client.deleteMachineMetadata(history.app, machine.id, FREEZE_METADATA_KEY, {
      signal: input.signal,
    }),
  );
  const failures = failedWrites(carriers, settled);
  if (failures.length > 0) {
    throw new SemflyError({
      code: "UNFREEZE_FAILED",
      message: `${history.app} is still frozen on ${failures.length} of ${carriers.length} machines: ${failures[0]}`,
      suggestion: "Run `semfly unfreeze` again.",
      cause: firstRejection(settled),
    });
  }
  const record = await recordOnRelease(
    client,
    history.app,
    { state: "unfrozen", by: input.by, at: new Date(input.now).toISOString() },
    input,
  );
  return {
    lifted: state.freeze,
    machineIds: carriers.map((m) => m.id),
    recordedOn: record.release,
    warnings: record.warning ? [record.warning] : [],
  };
}

function failedWrites(
  machines: readonly { id: string }[],
  settled: readonly PromiseSettledResult<void>[],
): string[] {
  return machines.flatMap((machine, i) => {
    const result = settled[i]!;
    return result.status === "rejected" ? [`${machine.id}: ${messageOf(result.reason)}`] : [];
  });
}

function firstRejection(settled: readonly PromiseSettledResult<void>[]): unknown {
  return settled.find((r): r is PromiseRejectedResult => r.status === "rejected")?.reason;
}

/**
 * Add the record to the current release's metadata, read fresh (the release cache may be older), sent
 * whole with the keys already there so that a server that replaces metadata keeps them. A release still
 * rolling out is left alone: its deployer will write its own final metadata.
 */
async function recordOnRelease(
  client: FreezeClient,
  app: string,
  record: Record<string, unknown>,
  options: { signal?: AbortSignal | undefined },
): Promise<{ release: number | null; warning: string | null }> {
  try {
    const release = await client.currentRelease(app, { signal: options.signal });
    if (!release || releaseInProgress(release)) return { release: null, warning: null };
    await client.updateRelease(
      release.id,
      {
        status: release.status,
        metadata: { ...(release.metadata ?? {}), [FREEZE_RELEASE_KEY]: record },
      },
      { signal: options.signal },
    );
    return { release: release.version, warning: null };
  } catch (error) {
    return {
      release: null,
      warning: `The freeze holds, but Fly did not record it on the release: ${messageOf(error)}`,
    };
  }
}
