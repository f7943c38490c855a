import { inputError, isSemflyError, quote, SemflyError } from "../errors.js";
import type { FlyClient } from "../fly/client.js";
import type { RegistryClient } from "../registry/client.js";
import { type DeployImage, resolveDeployImage } from "../registry/deploy-image.js";
import { COLD_STATES, withoutCompatChecks } from "../rollout/health.js";
import {
  configuredCheckCount,
  type OrphanRelease,
  planRollout,
  type ReleaseCommand,
  type RolloutPlan,
  type RolloutStrategy,
} from "../rollout/plan.js";
import type { RolloutClient } from "../rollout/port.js";
import { newestConfigThatRan } from "../versions/config-match.js";
import { checkDeployArguments, checkDeployable } from "../versions/deploy-guards.js";
import { withFormerImages } from "../versions/former-images.js";
import type { VersionEntry, VersionHistory } from "../versions/history.js";
import { digestReference } from "../versions/image-ref.js";
import { type RolloutPreflight, releaseCommandOf } from "../versions/preflight.js";
import { releaseInProgress, releaseSucceeded, semflyMetadata } from "../versions/release-status.js";
import {
  type RollbackTarget,
  resolveRollbackTarget,
  type SkippedCandidate,
} from "../versions/target.js";
import type { FlyMachine, FlyRelease, MachineConfig } from "../versions/types.js";
import { findFormerImages } from "./former-images.js";
import { type HistoryClient, loadVersionHistory } from "./load-history.js";
import { loadPreflight, type PreflightClient } from "./preflight.js";

export type MachineVersionsClient = Pick<FlyClient, "listMachineVersions">;

export type PrepareClient = HistoryClient &
  MachineVersionsClient &
  PreflightClient &
  Pick<RolloutClient, "resolveImage"> &
  Pick<FlyClient, "currentReleaseDefinition" | "releaseDefinition">;

interface RolloutChoices {
  strategy?: RolloutStrategy;
  maxUnavailable?: number;
  reason?: string | null;
  signal?: AbortSignal;
  /** A history loaded already (the extension keeps one); loaded afresh otherwise. */
  history?: VersionHistory;
  /** `--skip-unreachable`: go on without machines on unreachable hosts, reporting them skipped. */
  skipUnreachable?: boolean;
  /** `--no-verify-cold` sets false. */
  verifyCold?: boolean;
}

export interface PreparedRollout {
  history: VersionHistory;
  target: VersionEntry | { key: string; version: string; digest: string; imageRef: string };
  plan: RolloutPlan;
  /** Higher versions the target's range passed over, each with why ("3.2.0: never deployed …"). */
  skippedVersions: SkippedCandidate[];
  /** Migrations crossed, secrets changed since the target, volumes attached: what it will not give back. */
  preflight: RolloutPreflight;
}

/** Load what a rollback needs, resolve the target, and plan it. Sends no mutating request. */
export async function prepareRollback(
  client: PrepareClient,
  app: string,
  input: RolloutChoices & { target: RollbackTarget; withConfig?: boolean },
): Promise<PreparedRollout> {
  let history = input.history ?? (await loadVersionHistory(client, app, { signal: input.signal }));
  refuseWithoutMachines(history);
  const orphans = orphanReleases(history);
  let target: VersionEntry;
  let finishing = false;
  const skippedVersions: SkippedCandidate[] = [];
  try {
    const found = await resolveWithFormerImages(
      client,
      history,
      input.target,
      input.signal,
      (skip) => skippedVersions.push(skip),
    );
    history = found.history;
    target = found.target;
  } catch (error) {
    if (!finishesKilledRun(error, orphans) || !history.live) throw error;
    target = history.live;
    finishing = true;
  }
  const historicalConfigs = input.withConfig
    ? await collectHistoricalConfigs(client, history, target, input.signal)
    : undefined;
  const appConfig = await releaseAppConfig(client, history, {
    target: input.withConfig ? target : null,
    signal: input.signal,
  });
  const plan = planRollout({
    history,
    target,
    kind: "rollback",
    strategy: input.strategy ?? "rolling",
    ...(input.maxUnavailable !== undefined ? { maxUnavailable: input.maxUnavailable } : {}),
    withConfig: input.withConfig ?? false,
    ...(historicalConfigs ? { historicalConfigs } : {}),
    reason: input.reason ?? null,
    skipUnreachable: input.skipUnreachable ?? false,
    verifyCold: input.verifyCold ?? true,
    definition: appConfig.definition,
    orphans,
    releaseCommand: null,
  });
  plan.warnings.unshift(...appConfig.warnings);
  const command = releaseCommandStep(appConfig.definition);
  if (command) {
    plan.notes.push(
      `A rollback does not run the release command (${command.command}): migrations it ran are not undone.`,
    );
  }
  refuseUnreachable(plan, input.skipUnreachable);
  checkBatchFits(plan, input.maxUnavailable);
  return withPreflight(
    client,
    { history, target, plan: finishing ? movedFromPrevious(plan, history) : plan, skippedVersions },
    input.signal,
  );
}

/**
 * A run killed after every machine moved leaves the target live and its release `running`: running the
 * same command again (deploy or rollback) finishes that record, and puts the machines back when they are
 * unhealthy, instead of refusing an already-live target.
 */
function finishesKilledRun(error: unknown, orphans: readonly OrphanRelease[]): boolean {
  return (
    isSemflyError(error) &&
    error.code === "ALREADY_LIVE" &&
    orphans.some((o) => o.status !== "interrupted")
  );
}

/** The plan of a run that only finishes a killed one: it moved from the version live before it. */
function movedFromPrevious(plan: RolloutPlan, history: VersionHistory): RolloutPlan {
  const from = history.previous;
  return {
    ...plan,
    from: from ? { key: from.key, version: from.version, digest: from.digest } : null,
  };
}

/**
 * A count above the machines to change is a slip (a fraction meant, or another app's size): refused
 * with how many would really change, rather than quietly changing them all at once.
 */
function checkBatchFits(plan: RolloutPlan, maxUnavailable: number | undefined): void {
  const count = plan.machines.length;
  if (maxUnavailable === undefined || maxUnavailable < 1 || count === 0) return;
  if (maxUnavailable <= count) return;
  const machines = `${count} machine${count === 1 ? "" : "s"}`;
  throw inputError(
    "MAX_UNAVAILABLE_TOO_HIGH",
    `--max-unavailable ${quote(maxUnavailable)} is more than the ${machines} this ${plan.kind} changes on ${plan.app}: all ${count} would change at once.`,
    `Pass --max-unavailable ${count} (or --strategy immediate) to change all ${count} at once, or a smaller count.`,
  );
}

/**
 * Resolve the target; when the history has never heard of it, look in the machines' own config history for
 * an image no release names (what the undo after leaving a `fly image update` version asks for).
 */
async function resolveWithFormerImages(
  client: PrepareClient,
  history: VersionHistory,
  target: RollbackTarget,
  signal: AbortSignal | undefined,
  onSkip: (skip: SkippedCandidate) => void,
): Promise<{ history: VersionHistory; target: VersionEntry }> {
  try {
    return { history, target: resolveRollbackTarget(history, target, onSkip) };
  } catch (error) {
    if (!isSemflyError(error) || error.code !== "NEVER_DEPLOYED" || history.machines.length === 0) {
      throw error;
    }
    const former = await findFormerImages(client, history, signal);
    if (former.length === 0) throw error;
    const widened = withFormerImages(history, former);
    return { history: widened, target: resolveRollbackTarget(widened, target, onSkip) };
  }
}

/** An app with no Fly Launch machine has nothing to roll: succeeding with "0 machines" would be a lie. */
function refuseWithoutMachines(history: VersionHistory): void {
  if (history.machines.length > 0) return;
  const image = history.currentRelease?.imageRef;
  const unmanaged = history.unmanaged.length;
  throw inputError(
    "NO_MACHINES",
    `${history.app} has no Fly Launch machines to change${unmanaged > 0 ? ` (${unmanaged} outside Fly Launch management are left alone)` : ""}; nothing was changed.`,
    image
      ? `The next \`fly scale count\` creates machines from the current release's config and image (${image}); deploy the version you want first with \`fly deploy --image\`.`
      : "Create the app's machines with `fly deploy` first.",
  );
}

/**
 * Refuse before anything changes when machines sit on unreachable hosts, unless told to skip them. Fly's
 * state, not the user's input: exit 1, as for any other answer from Fly that stops a run.
 */
function refuseUnreachable(plan: RolloutPlan, skip: boolean | undefined): void {
  if (plan.unreachable.length === 0 || skip) return;
  throw new SemflyError({
    code: "UNREACHABLE_MACHINES",
    message: `${plan.unreachable.length === 1 ? "Machine" : "Machines"} ${plan.unreachable.map((m) => m.id).join(", ")} of ${plan.app} ${plan.unreachable.length === 1 ? "is" : "are"} on an unreachable host; nothing was changed.`,
    suggestion:
      "Try again once Fly reaches the host, or pass --skip-unreachable to leave them on their version.",
  });
}

/**
 * semfly's own releases that are still `running`: their runs died (a live run holds the app lock, and the
 * engine finishes these only once it holds it). Complete when every machine reached the release's image.
 */
export function orphanReleases(history: VersionHistory): OrphanRelease[] {
  const releases = history.versions.flatMap((v) => v.releases);
  return [...semflyOrphans(history, releases), ...lostCreates(releases)];
}

/**
 * The newest release, when it is still `pending` with no notes: what a run killed between creating its
 * release and marking it `running` leaves (semfly writes its notes with `running`). A live deploy that made
 * it holds the machines' leases, and orphans are only finished under the app lock, so a live one is safe.
 */
function lostCreates(releases: readonly FlyRelease[]): OrphanRelease[] {
  const newest = [...releases].sort((a, b) => b.version - a.version)[0];
  if (newest?.status.toLowerCase() !== "pending") return [];
  if (newest.metadata && Object.keys(newest.metadata).length > 0) return [];
  return [
    {
      id: newest.id,
      version: newest.version,
      status: "interrupted",
      machines: [],
      metadata: {},
    },
  ];
}

function semflyOrphans(history: VersionHistory, releases: readonly FlyRelease[]): OrphanRelease[] {
  return releases
    .filter((release) => releaseInProgress(release) && semflyMetadata(release) !== null)
    .map((release) => {
      const meta = semflyMetadata(release)!;
      const moved = history.machines
        .filter((info) => info.machine.metadata.fly_release_id === release.id)
        .map((info) => info.machine.id);
      const allThere =
        meta.digest !== undefined &&
        history.machines.length > 0 &&
        history.machines.every((info) => info.digest === meta.digest);
      // What a live run requires before `complete`: each machine up with every check passing (or settled
      // cold, as a live run leaves a machine that was not running). A dead run's word is not enough.
      const allHealthy = history.machines.every((info) => settledHealthy(info.machine));
      return {
        id: release.id,
        version: release.version,
        status: allThere
          ? allHealthy
            ? ("complete" as const)
            : ("failed" as const)
          : ("interrupted" as const),
        machines: moved,
        metadata: release.metadata?.semfly as Record<string, unknown>,
      };
    });
}

/** Where a machine a dead run moved may be left: started with every configured check passing, or cold. */
function settledHealthy(machine: FlyMachine): boolean {
  if (COLD_STATES.has(machine.state)) return true;
  if (machine.state !== "started") return false;
  const expected = configuredCheckCount(machine.config);
  const checks = withoutCompatChecks(machine.checks);
  return (
    expected === 0 || (checks.length >= expected && checks.every((c) => c.status === "passing"))
  );
}

interface AppConfigRead {
  definition: Record<string, unknown> | null;
  warnings: string[];
}

/** How many earlier releases are asked for an app config when the current one recorded none. */
const DEFINITION_LOOKBACK = 5;

function hasDefinition(
  read: { definition: Record<string, unknown> | null } | null,
): read is { version: number; definition: Record<string, unknown> } {
  return !!read?.definition && Object.keys(read.definition).length > 0;
}

/**
 * The app config the release will record. flyctl reads the current release's back as the app config, so
 * it must be a real one: the current release's (with --with-config, the target's own release's), else the
 * newest earlier release that has one. When none can be read, the rollout is refused: a release recorded
 * with `{}` would let the next `fly secrets set` strip the app's services and checks.
 */
export async function releaseAppConfig(
  client: Pick<FlyClient, "currentReleaseDefinition" | "releaseDefinition">,
  history: VersionHistory,
  options: { target: VersionEntry | null; signal?: AbortSignal | undefined },
): Promise<AppConfigRead> {
  const call = { signal: options.signal };
  const warnings: string[] = [];
  if (options.target) {
    const release = options.target.releases.find(releaseSucceeded) ?? options.target.releases[0];
    const read = release
      ? await client.releaseDefinition(history.app, release.version, call)
      : null;
    if (hasDefinition(read)) return { definition: read.definition, warnings };
    warnings.push(
      `No app config was recorded with ${options.target.version ?? options.target.key}'s release: the release keeps the current app config.`,
    );
  }
  const current = await client.currentReleaseDefinition(history.app, call);
  if (hasDefinition(current)) return { definition: current.definition, warnings };
  const earlier = history.versions
    .flatMap((v) => v.releases)
    .filter((r) => releaseSucceeded(r) && r.version !== current?.version)
    .sort((a, b) => b.version - a.version)
    .slice(0, DEFINITION_LOOKBACK);
  for (const release of earlier) {
    const read = await client.releaseDefinition(history.app, release.version, call);
    if (hasDefinition(read)) {
      warnings.push(
        `The current release recorded no app config; the release keeps v${read.version}'s.`,
      );
      return { definition: read.definition, warnings };
    }
  }
  throw new SemflyError({
    code: "APP_CONFIG_UNKNOWN",
    message: `Fly has no app config (fly.toml) recorded for ${history.app}'s recent releases; nothing was changed.`,
    suggestion:
      "Run `fly deploy` once so Fly records the app config: a release without it would let the next `fly secrets set` strip services and checks.",
  });
}

/** The release command a deploy runs, from the app config (the rule is versions/preflight.ts's). */
function releaseCommandStep(definition: Record<string, unknown> | null): ReleaseCommand | null {
  const command = releaseCommandOf(definition);
  return command ? { command } : null;
}

/** The registry calls a deploy may make; labels only when it is given a client that reads them. */
export type DeployRegistry = Pick<RegistryClient, "resolve" | "copyImage"> &
  Partial<Pick<RegistryClient, "labelsForDigest">>;

/**
 * The image's labels, for the guard that its own version label agrees: Fly's answer when it carried any
 * (whether `app.image { config }` does is uncertain), else the registry's config blob, else none known.
 */
async function deployImageLabels(
  registry: DeployRegistry | null | undefined,
  image: DeployImage,
  signal: AbortSignal | undefined,
): Promise<Record<string, string>> {
  if (image.labels && Object.keys(image.labels).length > 0) return image.labels;
  if (!registry?.labelsForDigest) return {};
  const labels = await registry
    .labelsForDigest(image.ref, image.digest, signal ? { signal } : {})
    .catch(() => null);
  return labels ?? {};
}

/** Resolve an image ref for a new version and plan its rollout, guarding version immutability. */
export async function prepareDeploy(
  client: PrepareClient,
  app: string,
  input: RolloutChoices & {
    version: string;
    imageRef: string;
    allowDowngrade?: boolean;
    /** `--skip-release-command`. */
    skipReleaseCommand?: boolean;
    /** Asked when Fly cannot resolve the ref (private images elsewhere), for `--push`, and for labels. */
    registry?: DeployRegistry | null;
    push?: boolean;
    /** `--force-version`: deploy as `version` although the image's tag or label names another. */
    forceVersion?: boolean;
  },
): Promise<PreparedRollout> {
  const version = checkDeployArguments(input.version, input.imageRef);
  const [history, image] = await Promise.all([
    input.history ?? loadVersionHistory(client, app, { signal: input.signal }),
    resolveDeployImage(client, input.registry, {
      app,
      ref: input.imageRef,
      version,
      push: input.push,
      signal: input.signal,
    }),
  ]);
  const orphans = orphanReleases(history);
  let finishing = false;
  try {
    checkDeployable(history, {
      version,
      imageRef: input.imageRef,
      digest: image.digest,
      labels: input.forceVersion
        ? {}
        : await deployImageLabels(input.registry, image, input.signal),
      allowDowngrade: input.allowDowngrade,
      forceVersion: input.forceVersion,
    });
  } catch (error) {
    if (!finishesKilledRun(error, orphans)) throw error;
    finishing = true;
  }
  refuseWithoutMachines(history);
  const appConfig = await releaseAppConfig(client, history, {
    target: null,
    signal: input.signal,
  });
  const command = releaseCommandStep(appConfig.definition);
  const target = { key: version, version, digest: image.digest, imageRef: image.ref };
  const plan = planRollout({
    history,
    target,
    kind: "deploy",
    image: digestReference(image.ref, image.digest),
    strategy: input.strategy ?? "rolling",
    ...(input.maxUnavailable !== undefined ? { maxUnavailable: input.maxUnavailable } : {}),
    reason: input.reason ?? null,
    skipUnreachable: input.skipUnreachable ?? false,
    verifyCold: input.verifyCold ?? true,
    definition: appConfig.definition,
    orphans,
    releaseCommand: input.skipReleaseCommand ? null : command,
  });
  plan.warnings.unshift(...appConfig.warnings);
  if (command && input.skipReleaseCommand) {
    plan.notes.push(
      `The release command (${command.command}) is skipped (--skip-release-command).`,
    );
  }
  refuseUnreachable(plan, input.skipUnreachable);
  checkBatchFits(plan, input.maxUnavailable);
  return withPreflight(
    client,
    {
      history,
      target,
      plan: finishing ? movedFromPrevious(plan, history) : plan,
      skippedVersions: [],
    },
    input.signal,
  );
}

/** The preflight of a prepared rollout, and the secret digests its release will record. */
async function withPreflight(
  client: PreflightClient,
  prepared: Omit<PreparedRollout, "preflight">,
  signal: AbortSignal | undefined,
): Promise<PreparedRollout> {
  const loaded = await loadPreflight(
    client,
    prepared.history,
    prepared.plan,
    prepared.target,
    signal,
  );
  return {
    ...prepared,
    plan: {
      ...prepared.plan,
      recordMetadata: { ...prepared.plan.recordMetadata, ...loaded.recordMetadata },
    },
    preflight: loaded.preflight,
  };
}

/**
 * `--with-config`: for each machine, the newest config in its own version history that ran the target
 * (same digest, a tag naming the version, or a release key of one of the target's releases).
 */
export async function collectHistoricalConfigs(
  client: MachineVersionsClient,
  history: VersionHistory,
  target: VersionEntry,
  signal?: AbortSignal,
): Promise<Map<string, MachineConfig>> {
  const configs = new Map<string, MachineConfig>();
  await Promise.all(
    history.machines.map(async ({ machine }) => {
      const versions = await client.listMachineVersions(history.app, machine.id, { signal });
      const match = newestConfigThatRan(versions, target);
      if (match) configs.set(machine.id, match);
    }),
  );
  return configs;
}
