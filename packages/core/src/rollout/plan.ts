import { inputError } from "../errors.js";
import type { MachineVersionInfo, VersionEntry, VersionHistory } from "../versions/history.js";
import { digestReference, tagReference } from "../versions/image-ref.js";
import type { FlyMachine, MachineConfig } from "../versions/types.js";

/** Strategies as flyctl names them. */
export type RolloutStrategy = "rolling" | "canary" | "immediate";
export const ROLLOUT_STRATEGIES: readonly RolloutStrategy[] = ["rolling", "canary", "immediate"];
export type RolloutKind = "rollback" | "deploy";

/** flyctl's default `--max-unavailable`: a third of the machines at a time. */
export const DEFAULT_MAX_UNAVAILABLE = 0.33;
/** flyctl's default `--immediate-max-concurrent`. */
export const DEFAULT_IMMEDIATE_CONCURRENCY = 16;

export interface VersionRef {
  key: string;
  version: string | null;
  digest: string | null;
}

export interface PlannedMachine {
  id: string;
  name: string;
  region: string;
  processGroup: string;
  state: string;
  /** The machine's config version when planned: the update is refused if it moved since. */
  instanceId: string;
  from: VersionRef | null;
  /** The exact config it runs now: what a revert puts back. */
  currentConfig: MachineConfig;
  /** The config the rollout sends, before the release keys are added. */
  targetConfig: MachineConfig;
  /** Where targetConfig comes from: the current config with a new image, or the machine's own history. */
  configSource: "current" | "history";
}

export interface RolloutPlan {
  app: string;
  kind: RolloutKind;
  strategy: RolloutStrategy;
  /** As given: a fraction (< 1) of the machines or a count (≥ 1). */
  maxUnavailable: number;
  /** How many machines change at once. */
  batchSize: number;
  from: VersionRef | null;
  /** `tagRef`: the version's tag ref, what the image check asks GraphQL `app.image` about. */
  to: VersionRef & { digest: string; image: string; tagRef?: string | null };
  machines: PlannedMachine[];
  /** Machines already on the target digest: nothing to do. */
  skipped: { id: string; reason: string }[];
  /** Machine ids, in the order they change. */
  batches: string[][];
  withConfig: boolean;
  reason: string | null;
  /** A release an earlier, killed run left unfinished although every machine reached the target. */
  finishRelease?: { id: string; version: number } | null;
  /** More keys for the release's `metadata.semfly` (promotedFrom, secret digests, volume snapshots). */
  recordMetadata?: Record<string, unknown> | undefined;
}

export interface PlanInput {
  history: VersionHistory;
  target: VersionEntry | (VersionRef & { imageRef: string | null });
  kind: RolloutKind;
  /** The image the machines get, by digest; defaults to the target's ref pinned to its digest. */
  image?: string;
  strategy?: RolloutStrategy;
  maxUnavailable?: number;
  /** `--with-config`: each machine's config as it was when the target was live, by machine id. */
  historicalConfigs?: ReadonlyMap<string, MachineConfig>;
  withConfig?: boolean;
  reason?: string | null;
  immediateConcurrency?: number;
}

/** Decide which machines change, in which batches, and to which config. Pure. */
export function planRollout(input: PlanInput): RolloutPlan {
  const { history, target } = input;
  const strategy = input.strategy ?? "rolling";
  const maxUnavailable = input.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE;
  validateMaxUnavailable(maxUnavailable);
  if (!target.digest) {
    throw inputError("DIGEST_UNKNOWN", `The image digest of ${target.key} is unknown.`);
  }
  const image =
    input.image ??
    digestReference(target.imageRef ?? `registry.fly.io/${history.app}`, target.digest);
  const to = {
    key: target.key,
    version: target.version,
    digest: target.digest,
    image,
    tagRef: tagReference(target.imageRef),
  };

  const machines: PlannedMachine[] = [];
  const skipped: { id: string; reason: string }[] = [];
  for (const info of sortForRollout(history.machines)) {
    const machine = info.machine;
    // Converging: a machine already on the target digest is done (a re-run after an interruption).
    if (info.digest === target.digest && !input.withConfig) {
      skipped.push({ id: machine.id, reason: "already on the target digest" });
      continue;
    }
    const historical = input.withConfig ? input.historicalConfigs?.get(machine.id) : undefined;
    const base = historical ?? machine.config;
    machines.push({
      id: machine.id,
      name: machine.name,
      region: machine.region,
      processGroup: machine.processGroup,
      state: machine.state,
      instanceId: machine.instanceId,
      from: info.key ? { key: info.key, version: info.version, digest: info.digest } : null,
      currentConfig: machine.config,
      targetConfig: withImage(base, image, machine),
      configSource: historical ? "history" : "current",
    });
  }

  const batchSize =
    strategy === "immediate"
      ? Math.max(1, machines.length)
      : maxUnavailable < 1
        ? Math.max(1, Math.ceil(machines.length * maxUnavailable))
        : Math.floor(maxUnavailable);
  return {
    app: history.app,
    kind: input.kind,
    strategy,
    maxUnavailable,
    batchSize,
    from: history.live
      ? { key: history.live.key, version: history.live.version, digest: history.live.digest }
      : null,
    to,
    machines,
    skipped,
    batches: batchesFor(strategy, machines, batchSize),
    withConfig: input.withConfig ?? false,
    reason: input.reason ?? null,
  };
}

export function validateMaxUnavailable(value: number): void {
  if (!Number.isFinite(value) || value <= 0 || (value >= 1 && !Number.isInteger(value))) {
    throw inputError(
      "INVALID_MAX_UNAVAILABLE",
      `--max-unavailable ${value} is neither a fraction between 0 and 1 nor a whole count.`,
      "Pass a fraction such as 0.33 or a count such as 2, as flyctl takes it.",
    );
  }
}

/** Only the image changes, plus the release keys flyctl writes; metadata keys are added at execution. */
function withImage(base: MachineConfig, image: string, machine: FlyMachine): MachineConfig {
  const metadata = { ...(base.metadata ?? {}) };
  // A config restored from history keeps the machine's process group even if the history predates it.
  if (machine.metadata.fly_process_group && !metadata.fly_process_group) {
    metadata.fly_process_group = machine.metadata.fly_process_group;
  }
  return { ...base, image, metadata };
}

/** Started machines first (flyctl updates cold machines last), then by process group, region, id. */
function sortForRollout(machines: MachineVersionInfo[]): MachineVersionInfo[] {
  const cold = (m: FlyMachine) => (m.state === "started" ? 0 : 1);
  return [...machines].sort(
    (a, b) =>
      cold(a.machine) - cold(b.machine) ||
      a.machine.processGroup.localeCompare(b.machine.processGroup) ||
      a.machine.region.localeCompare(b.machine.region) ||
      a.machine.id.localeCompare(b.machine.id),
  );
}

function batchesFor(
  strategy: RolloutStrategy,
  machines: PlannedMachine[],
  size: number,
): string[][] {
  const ids = machines.map((m) => m.id);
  if (ids.length === 0) return [];
  if (strategy === "immediate") return [ids];
  const batches: string[][] = [];
  let rest = ids;
  if (strategy === "canary") {
    // One machine first, preferably a started one (sortForRollout put those first).
    batches.push(rest.slice(0, 1));
    rest = rest.slice(1);
  }
  for (let i = 0; i < rest.length; i += size) batches.push(rest.slice(i, i + size));
  return batches;
}

/** Add the release keys flyctl writes into `config.metadata` on every machine it deploys. */
export function configForRelease(
  config: MachineConfig,
  release: { id: string; version: number },
): MachineConfig {
  return {
    ...config,
    metadata: {
      ...(config.metadata ?? {}),
      fly_release_id: release.id,
      fly_release_version: String(release.version),
    },
  };
}
