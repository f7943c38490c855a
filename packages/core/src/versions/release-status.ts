import type { FlyRelease } from "./types.js";

/** Statuses of a release whose image went live: `complete` on Machines, `succeeded` from the Nomad era. */
const SUCCEEDED = new Set(["complete", "succeeded"]);
/** Statuses of a release that is still being rolled out. */
const IN_PROGRESS = new Set(["pending", "running"]);

export function releaseSucceeded(release: Pick<FlyRelease, "status">): boolean {
  return SUCCEEDED.has(release.status.toLowerCase());
}

export function releaseInProgress(release: Pick<FlyRelease, "status">): boolean {
  return IN_PROGRESS.has(release.status.toLowerCase());
}

/** Failed, cancelled, interrupted and anything unknown: shown, but never counted as live. */
export function releaseFailed(release: Pick<FlyRelease, "status">): boolean {
  return !releaseSucceeded(release) && !releaseInProgress(release);
}

/** What semfly wrote under `metadata.semfly` on a release it made. */
export interface SemflyReleaseMetadata {
  version?: string | null;
  previousVersion?: string | null;
  digest?: string;
  kind?: "rollback" | "deploy";
  reason?: string;
  machines?: string[];
}

export function semflyMetadata(
  release: Pick<FlyRelease, "metadata">,
): SemflyReleaseMetadata | null {
  const value = release.metadata?.semfly;
  return value && typeof value === "object" ? (value as SemflyReleaseMetadata) : null;
}
