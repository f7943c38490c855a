import { inputError } from "../errors.js";
import type { MachineVersionInfo, VersionEntry, VersionHistory } from "../versions/history.js";
import { digestReference, tagReference } from "../versions/image-ref.js";
import type { FlyMachine, MachineConfig } from "../versions/types.js";
import { refuseBluegreen } from "./bluegreen-rules.js";

/** Strategies as flyctl names them. */
export type RolloutStrategy = "rolling" | "canary" | "immediate" | "bluegreen";
export const ROLLOUT_STRATEGIES: readonly RolloutStrategy[] = [
  "rolling",
  "canary",
  "immediate",
  "bluegreen",
];
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
  /**
   * Not running before the update (stopped, suspended, created…) or a standby: updated with `skip_launch`
   * and left in its state, as flyctl does; real Fly would otherwise start it.
   */
  cold: boolean;
}

/** A machine the plan shows but does not change, and why. */
export interface MachineNote {
  id: string;
  name: string;
  region: string;
  processGroup: string;
  reason: string;
}

/** A release an earlier, killed semfly run left `running`: this run finishes it before anything else. */
export interface OrphanRelease {
  id: string;
  version: number;
  /**
   * `complete` when every machine reached its target and is healthy there, `failed` when they all reached
   * it but not every one is healthy, `interrupted` otherwise.
   */
  status: "complete" | "failed" | "interrupted";
  /** The machines it had moved (they carry its release id). */
  machines: string[];
  /** Its semfly notes, sent back whole: whether Fly merges metadata is uncertain. */
  metadata: Record<string, unknown> | null;
}

/** `deploy.release_command` from the app config: run once on the target image before any machine moves. */
export interface ReleaseCommand {
  command: string;
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
  /** Machines already on the target (or, with --skip-unreachable, on an unreachable host): nothing to do. */
  skipped: MachineNote[];
  /** Machines outside Fly Launch management: shown, never touched. */
  unmanaged: MachineNote[];
  /** Managed machines on an unreachable host: never leased or updated (prepare refuses unless skipped). */
  unreachable: MachineNote[];
  /** Machine ids, in the order they change. */
  batches: string[][];
  /** Cold machines started once to verify the target (one per all-cold process group with checks). */
  verifyCold: string[];
  withConfig: boolean;
  reason: string | null;
  /** The app config the release records (fly.toml as JSON); null when it could not be read. */
  definition: Record<string, unknown> | null;
  /** Semfly releases that killed runs left `running`: finished first, whatever this run does. */
  orphans: OrphanRelease[];
  /** Run before any machine changes (deploy only). */
  releaseCommand: ReleaseCommand | null;
  /** Said before the rollout starts (e.g. a machine with no historical config under --with-config). */
  warnings: string[];
  /** Facts shown with the plan that need no action (e.g. a rollback does not run the release command). */
  notes: string[];
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
  /** Verify the target on one started representative of an all-cold group with checks (default true). */
  verifyCold?: boolean;
  /** Go on without the machines on unreachable hosts (they are reported skipped). */
  skipUnreachable?: boolean;
  definition?: Record<string, unknown> | null;
  orphans?: OrphanRelease[];
  releaseCommand?: ReleaseCommand | null;
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
  const skipped: MachineNote[] = [];
  const unreachable: MachineNote[] = [];
  const warnings: string[] = [];
  for (const info of sortForRollout(history.machines)) {
    const machine = info.machine;
    const note = (reason: string): MachineNote => ({
      id: machine.id,
      name: machine.name,
      region: machine.region,
      processGroup: machine.processGroup,
      reason,
    });
    // flyctl never leases a machine on an unreachable host, and its `incomplete_config` must never be
    // sent back: the machine is left alone whatever the flags.
    if (machine.hostStatus === "unreachable" || machine.configIncomplete) {
      unreachable.push(note("its host is unreachable"));
      continue;
    }
    const historical = input.withConfig ? input.historicalConfigs?.get(machine.id) : undefined;
    const onTarget = info.digest === target.digest;
    // Converging: a machine already on the target is done (a re-run after an interruption), unless
    // --with-config has a different config from its history to restore.
    if (
      onTarget &&
      (!historical ||
        sameConfig(withImage(historical, machine.config.image, machine), machine.config))
    ) {
      skipped.push(
        note(
          input.withConfig && historical
            ? "already on the target, with the same config"
            : "already on the target digest",
        ),
      );
      continue;
    }
    if (input.withConfig && !historical) {
      warnings.push(
        `No config from when ${machine.id} ran ${target.version ?? target.key} was found: it keeps its current config.`,
      );
    }
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
      cold: isCold(machine),
    });
  }
  if (input.skipUnreachable) skipped.push(...unreachable);
  if (strategy === "bluegreen") refuseBluegreen(machines);

  const batchSize =
    strategy === "immediate"
      ? Math.max(1, machines.length)
      : maxUnavailable < 1
        ? Math.max(1, Math.ceil(machines.length * maxUnavailable))
        : Math.floor(maxUnavailable);
  const verifyCold = input.verifyCold === false ? [] : coldRepresentatives(machines, history);
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
    unmanaged: history.unmanaged.map(({ machine, reason }) => ({
      id: machine.id,
      name: machine.name,
      region: machine.region,
      processGroup: machine.processGroup,
      reason,
    })),
    unreachable,
    batches: batchesFor(strategy, machines, maxUnavailable, verifyCold),
    verifyCold,
    withConfig: input.withConfig ?? false,
    reason: input.reason ?? null,
    definition: input.definition ?? null,
    orphans: input.orphans ?? [],
    releaseCommand: input.releaseCommand ?? null,
    warnings,
    notes: [],
  };
}

/** flyctl's `shouldSkipLaunch`: only a machine that was started, starting or failed is launched. */
export function isCold(machine: FlyMachine): boolean {
  const standbys = machine.config.standbys;
  if (Array.isArray(standbys) && standbys.length > 0) return true;
  return !["started", "starting", "failed"].includes(machine.state);
}

/** Configured health checks: `config.checks` plus every `config.services[].checks` (fly-go AllHealthChecks). */
export function configuredCheckCount(config: MachineConfig): number {
  const top = config.checks;
  let count = top && typeof top === "object" ? Object.keys(top).length : 0;
  const services = Array.isArray(config.services) ? config.services : [];
  for (const service of services as { checks?: unknown }[]) {
    if (Array.isArray(service?.checks)) count += service.checks.length;
  }
  return count;
}

/** One machine per process group whose machines are all cold and that has checks: it is started to verify. */
function coldRepresentatives(machines: PlannedMachine[], history: VersionHistory): string[] {
  const groups = new Map<string, PlannedMachine[]>();
  for (const m of machines) groups.set(m.processGroup, [...(groups.get(m.processGroup) ?? []), m]);
  const ids: string[] = [];
  for (const [group, planned] of groups) {
    const all = history.machines.filter((info) => info.machine.processGroup === group);
    if (!all.every((info) => isCold(info.machine))) continue;
    const representative = planned.find((m) => configuredCheckCount(m.targetConfig) > 0);
    if (representative) ids.push(representative.id);
  }
  return ids;
}

/** Equal apart from the release keys a rollout rewrites anyway. */
function sameConfig(a: MachineConfig, b: MachineConfig): boolean {
  const strip = (config: MachineConfig) => {
    const {
      fly_release_id: _id,
      fly_release_version: _version,
      ...metadata
    } = config.metadata ?? {};
    return stableJson({ ...config, metadata });
  };
  return strip(a) === strip(b);
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
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

/** Running machines first, cold ones last (as flyctl), then by process group, region, id. */
function sortForRollout(machines: MachineVersionInfo[]): MachineVersionInfo[] {
  const cold = (m: FlyMachine) => (isCold(m) ? 1 : 0);
  return [...machines].sort(
    (a, b) =>
      cold(a.machine) - cold(b.machine) ||
      a.machine.processGroup.localeCompare(b.machine.processGroup) ||
      a.machine.region.localeCompare(b.machine.region) ||
      a.machine.id.localeCompare(b.machine.id),
  );
}

/**
 * The order machines change in. Running machines: one alone first (flyctl's spearhead; canary's first
 * machine), then each process group in chunks of its own max-unavailable, never all of a group of two or
 * more at once; chunk i of every group share batch i. Cold machines serve nothing, so they go after, the
 * verification representatives first and alone.
 */
function batchesFor(
  strategy: RolloutStrategy,
  machines: PlannedMachine[],
  maxUnavailable: number,
  verifyCold: readonly string[],
): string[][] {
  const warm = machines.filter((m) => !m.cold);
  const cold = machines.filter((m) => m.cold);
  const batches: string[][] = [];
  if (strategy === "immediate") {
    if (warm.length > 0) batches.push(warm.map((m) => m.id));
  } else if (warm.length > 0) {
    batches.push([warm[0]!.id]);
    const byGroup = new Map<string, PlannedMachine[]>();
    for (const m of warm) byGroup.set(m.processGroup, [...(byGroup.get(m.processGroup) ?? []), m]);
    const chunks: string[][][] = [];
    for (const group of byGroup.values()) {
      const size = groupBatchSize(group.length, maxUnavailable);
      const rest = group.filter((m) => m.id !== warm[0]!.id).map((m) => m.id);
      const groupChunks: string[][] = [];
      for (let i = 0; i < rest.length; i += size) groupChunks.push(rest.slice(i, i + size));
      chunks.push(groupChunks);
    }
    const rounds = Math.max(0, ...chunks.map((c) => c.length));
    for (let i = 0; i < rounds; i++) batches.push(chunks.flatMap((c) => c[i] ?? []));
  }
  const representatives = cold.filter((m) => verifyCold.includes(m.id)).map((m) => m.id);
  if (representatives.length > 0) batches.push(representatives);
  const rest = cold.filter((m) => !verifyCold.includes(m.id)).map((m) => m.id);
  if (rest.length > 0) batches.push(rest);
  return batches;
}

/** A group's max-unavailable, as flyctl reads it, and never the whole group when it has two or more. */
function groupBatchSize(running: number, maxUnavailable: number): number {
  const size =
    maxUnavailable < 1
      ? Math.max(1, Math.ceil(running * maxUnavailable))
      : Math.floor(maxUnavailable);
  return running >= 2 ? Math.max(1, Math.min(size, running - 1)) : 1;
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
