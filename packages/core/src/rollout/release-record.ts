/**
 * The Fly release a rollout records: created before any machine changes (with the app config the machines
 * will run), marked `running`, then `complete`, `failed` or `interrupted` with semfly's notes. flyctl reads
 * the current release's `definition` back as the app config, so it is never `{}`.
 */
import type { RolloutEvent } from "./events.js";
import type { OrphanRelease, RolloutPlan } from "./plan.js";
import type { RolloutClient } from "./port.js";

export type ReleaseClient = Pick<RolloutClient, "createRelease" | "updateRelease">;

/**
 * The app config the release records: the plan's definition (the current release's, or with --with-config
 * the target release's) with the image changed where the config names one. A config without `build.image`
 * keeps none: adding one would make the next `fly deploy` skip its build.
 */
export function definitionForRelease(
  definition: Record<string, unknown>,
  image: string,
): Record<string, unknown> {
  const build = definition.build;
  if (!build || typeof build !== "object" || Array.isArray(build)) return definition;
  if (typeof (build as Record<string, unknown>).image !== "string") return definition;
  return { ...definition, build: { ...(build as Record<string, unknown>), image } };
}

/** semfly's notes on the release, under its own key (Fly may keep other keys beside it). */
export function releaseMetadata(
  plan: RolloutPlan,
  moved: readonly string[],
  error: string | null,
  notes: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  return {
    semfly: {
      version: plan.to.version,
      previousVersion: plan.from?.version ?? null,
      digest: plan.to.digest,
      image: plan.to.image,
      kind: plan.kind,
      strategy: plan.strategy,
      reason: plan.reason,
      machines: [...moved],
      ...(plan.skipped.some((s) => plan.unreachable.some((u) => u.id === s.id))
        ? { skippedUnreachable: plan.unreachable.map((u) => u.id) }
        : {}),
      ...notes,
      ...(error ? { error } : {}),
    },
  };
}

export class ReleaseRecord {
  release: { id: string; version: number } | null = null;
  /** What the run learnt on the way (the image check, the gates) and writes with every status. */
  readonly notes: Record<string, unknown> = {};

  constructor(
    private readonly client: ReleaseClient,
    private readonly plan: RolloutPlan,
    private readonly signal: AbortSignal,
  ) {}

  async create(definition: Record<string, unknown>, emit: (e: RolloutEvent) => void) {
    this.release = await this.client.createRelease(
      {
        app: this.plan.app,
        image: this.plan.to.image,
        strategy: this.plan.strategy,
        definition: definitionForRelease(definition, this.plan.to.image),
      },
      { signal: this.signal },
    );
    emit({ type: "release-created", release: this.release });
  }

  /** flyctl only warns when it cannot record a status: the machines are what they are either way. */
  async setStatus(
    status: string,
    moved: readonly string[],
    error: string | null,
    emit: (e: RolloutEvent) => void,
  ): Promise<void> {
    const release = this.release;
    if (!release) return;
    try {
      await this.client.updateRelease(
        release.id,
        { status, metadata: releaseMetadata(this.plan, moved, error, this.notes) },
        // The record must tell the truth: the transport retries it on any transient failure.
        { signal: this.signal },
      );
      emit({ type: "release-status", status, release });
    } catch (cause) {
      emit({
        type: "warning",
        message: `Could not mark release v${release.version} ${status}: ${cause instanceof Error ? cause.message : String(cause)}`,
      });
    }
  }
}

/**
 * Finish the releases killed runs left `running`, with the machines they had moved. Called once this run
 * holds the app lock, so no live semfly run still owns them.
 */
export async function finishOrphans(
  client: ReleaseClient,
  orphans: readonly OrphanRelease[],
  signal: AbortSignal,
  emit: (e: RolloutEvent) => void,
): Promise<void> {
  for (const orphan of orphans) {
    const notes = orphan.metadata ?? {};
    try {
      await client.updateRelease(
        orphan.id,
        {
          status: orphan.status,
          metadata: {
            semfly: {
              ...notes,
              machines: orphan.machines,
              ...(orphan.status === "interrupted"
                ? { error: "The run was killed; a later semfly run finished its record." }
                : {}),
            },
          },
        },
        { signal },
      );
      emit({
        type: "release-status",
        status: orphan.status,
        release: { id: orphan.id, version: orphan.version },
      });
    } catch (cause) {
      emit({
        type: "warning",
        message: `Could not finish release v${orphan.version} left running by an earlier run: ${cause instanceof Error ? cause.message : String(cause)}`,
      });
    }
  }
}
