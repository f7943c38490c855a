/**
 * The Fly release a rollout records: created before any machine changes (with the app config the machines
 * will run), marked `running`, then `complete`, `failed` or `interrupted` with semfly's notes. flyctl reads
 * the current release's `definition` back as the app config, so it is never `{}`.
 */
import { isSemflyError, SemflyError } from "../errors.js";
import { releaseInProgress } from "../versions/release-status.js";
import { sleep } from "./concurrency.js";
import type { RolloutEvent } from "./events.js";
import type { OrphanRelease, RolloutPlan } from "./plan.js";
import type { RolloutClient } from "./port.js";

export type ReleaseClient = Pick<RolloutClient, "createRelease" | "updateRelease" | "releasesPage">;

/**
 * After a create whose answer was lost, when to look for the release Fly may have made: at once, then
 * twice more, for a create Fly handles after the client gave up on it (a timeout).
 */
const LOST_CREATE_LOOKS_MS = [0, 1000, 2000];
/** Releases read per look: the one semfly made is among the newest, the app being leased by this run. */
const LOST_CREATE_PAGE = 10;
/** A pending release older than this is not the one this run just asked for. */
const LOST_CREATE_MAX_AGE_MS = 10 * 60_000;

/** A create Fly may have carried out although no answer came: a 5xx, a reset or a timeout. */
function mayHaveLanded(error: unknown): boolean {
  if (!isSemflyError(error)) return true;
  const status = error.status;
  return status === undefined || status === null || status >= 500 || status === 408;
}

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
    const askedAt = Date.now();
    try {
      this.release = await this.client.createRelease(
        {
          app: this.plan.app,
          image: this.plan.to.image,
          strategy: this.plan.strategy,
          definition: definitionForRelease(definition, this.plan.to.image),
        },
        { signal: this.signal },
      );
    } catch (error) {
      // Creating is not repeatable (a resend makes a second release): find the one Fly may have made and
      // adopt it, so no release of this run is left `pending` for ever.
      if (!mayHaveLanded(error)) throw error;
      const found = await this.findLostCreate(askedAt);
      if (!found) throw error;
      this.release = found;
      emit({
        type: "warning",
        message: `The answer to creating release v${found.version} was lost; the run found it and records its outcome there.`,
      });
    }
    emit({ type: "release-created", release: this.release });
  }

  /**
   * The release a lost create made: the newest `pending` one for this image, made since shortly before the
   * ask. This run holds every machine's lease, so no other deploy can be creating one for the app meanwhile.
   */
  private async findLostCreate(askedAt: number): Promise<{ id: string; version: number } | null> {
    let waited = 0;
    for (const at of LOST_CREATE_LOOKS_MS) {
      await sleep(at - waited, this.signal);
      waited = at;
      try {
        const page = await this.client.releasesPage(
          this.plan.app,
          { first: LOST_CREATE_PAGE },
          { signal: this.signal },
        );
        const found = page.releases.find(
          (r) =>
            releaseInProgress(r) &&
            r.imageRef === this.plan.to.image &&
            (r.metadata?.semfly ?? null) === null &&
            Date.parse(r.createdAt) >= askedAt - LOST_CREATE_MAX_AGE_MS,
        );
        if (found) return { id: found.id, version: found.version };
      } catch {
        // A failed look is like an empty one: the next look, or the error already in hand, decides.
      }
    }
    return null;
  }

  /** flyctl only warns when it cannot record a status: the machines are what they are either way. */
  async setStatus(
    status: string,
    moved: readonly string[],
    error: string | null,
    emit: (e: RolloutEvent) => void,
    /** Rethrow when it cannot be written (a run whose repair needs the notes must not go on without them). */
    required = false,
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
      if (required) throw cause;
      emit({
        type: "warning",
        message: `Could not mark release v${release.version} ${status}: ${cause instanceof Error ? cause.message : String(cause)}`,
      });
    }
  }
}

export const UNHEALTHY_ORPHAN =
  "The run was killed after every machine moved, but not every machine is started with its checks passing.";

/**
 * Finish the releases killed runs left `running`, with the machines they had moved. Called once this run
 * holds the app lock, so no live semfly run still owns them.
 */
export async function finishOrphans(
  client: ReleaseClient,
  plan: Pick<RolloutPlan, "app" | "orphans">,
  signal: AbortSignal,
  emit: (e: RolloutEvent) => void,
  /** What the record says happened, by orphan id, when this run did more than look (it put machines back). */
  outcomes: ReadonlyMap<string, { error: string; putBack: string[] }> = new Map(),
): Promise<OrphanRelease[]> {
  const { orphans } = plan;
  const stillOpen = await stillInProgress(client, plan, signal);
  const open = orphans.filter((o) => stillOpen.has(o.id));
  for (const orphan of open) {
    const notes = orphan.metadata ?? {};
    const outcome = outcomes.get(orphan.id);
    try {
      await client.updateRelease(
        orphan.id,
        {
          status: orphan.status,
          metadata: {
            semfly: {
              ...notes,
              machines: orphan.machines,
              ...(outcome
                ? outcome
                : orphan.status === "interrupted"
                  ? { error: "The run was killed; a later semfly run finished its record." }
                  : orphan.status === "failed"
                    ? { error: UNHEALTHY_ORPHAN }
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
  return open;
}

/**
 * A run that only finishes records found one finished meanwhile: the run that owned it was alive when
 * this one planned, and the app may no longer be where the plan saw it. Nothing was changed.
 */
export function planOutdatedError(): SemflyError {
  return new SemflyError({
    code: "PLAN_OUTDATED",
    message:
      "Another semfly run finished its release while this one was planning; nothing was changed.",
    suggestion: "Run the command again to plan from where the app is now.",
  });
}

/**
 * The orphans still `pending` or `running` now that this run holds the app lock. The plan saw them a while
 * ago: a run that was alive then may have finished its own record since (say `failed`, after reverting),
 * and writing the plan's view over it would make Fly's record lie. When the releases cannot be read, each
 * orphan counts as still open (the plan's view is all there is).
 */
export async function stillInProgress(
  client: ReleaseClient,
  { app, orphans }: Pick<RolloutPlan, "app" | "orphans">,
  signal: AbortSignal,
): Promise<Set<string>> {
  const open = new Set(orphans.map((o) => o.id));
  if (orphans.length === 0) return open;
  try {
    const oldest = Math.min(...orphans.map((o) => o.version));
    let after: string | null = null;
    for (;;) {
      const page = await client.releasesPage(app, { first: 50, after }, { signal });
      for (const release of page.releases) {
        if (open.has(release.id) && !releaseInProgress(release)) open.delete(release.id);
      }
      const last = page.releases.at(-1);
      if (!page.hasNextPage || !last || last.version <= oldest) break;
      after = page.endCursor;
    }
  } catch {
    // Kept open: finishing a record the plan saw open is what this run would have done anyway.
  }
  return open;
}
