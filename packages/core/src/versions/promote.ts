/**
 * Which staging versions may be promoted: the exact bytes that were live and healthy there. Pure.
 * Fly's registry is per organisation, so the staging image can run in another app of the same org only.
 */
import { inputError, quote } from "../errors.js";
import type { VersionEntry } from "./history.js";
import { digestReference } from "./image-ref.js";
import { releaseSucceeded, semflyMetadata } from "./release-status.js";

/** What the promoted release records under `metadata.semfly.promotedFrom`. */
export interface PromotedFrom {
  app: string;
  /** The staging release that took it live (its Fly release number), when there is one. */
  release: number | null;
  digest: string;
}

/** The staging release that took the version live and completed: the proof it ran there. */
export function liveRelease(entry: VersionEntry): number | null {
  const done = entry.releases
    .filter((r) => r.imageRef !== null && releaseSucceeded(r))
    .sort((a, b) => b.version - a.version)[0];
  return done?.version ?? null;
}

/**
 * Gates recorded by a verify run under `metadata.semfly.gates`: `{ passed: boolean }`. None recorded
 * counts as nothing to refuse on; a recorded failure refuses.
 */
export function gatesFailed(entry: VersionEntry): boolean {
  return entry.releases.some((r) => {
    const gates = (semflyMetadata(r) as { gates?: unknown } | null)?.gates;
    return Boolean(
      gates && typeof gates === "object" && (gates as { passed?: unknown }).passed === false,
    );
  });
}

/** Refuses a version that was never healthy in staging (unless forced). Returns what the release records. */
export function checkPromotable(
  stagingApp: string,
  entry: VersionEntry,
  options: { force?: boolean } = {},
): PromotedFrom {
  const name = entry.version ?? entry.key;
  if (!entry.digest) {
    throw inputError(
      "PROMOTE_NO_DIGEST",
      `${quote(name)} in ${stagingApp} has no image digest: semfly promotes exact bytes only.`,
      `Check \`semfly versions --app ${stagingApp}\`: Fly may have pruned its image.`,
    );
  }
  const promotedFrom: PromotedFrom = {
    app: stagingApp,
    release: liveRelease(entry),
    digest: entry.digest,
  };
  if (options.force) return promotedFrom;
  const wasHealthy =
    entry.status === "live" ||
    (entry.succeeded &&
      !entry.rolledBackFrom &&
      (entry.status === "previous" || entry.status === "superseded"));
  if (!wasHealthy) {
    const why =
      entry.rolledBackFrom || entry.status === "rolled-back-from"
        ? "was rolled back from there"
        : entry.status === "drift"
          ? "runs there only on some machines, with no release"
          : entry.status === "in-progress"
            ? "is still rolling out there"
            : "never went live there (no release of it completed)";
    throw inputError(
      "PROMOTE_NOT_HEALTHY",
      `${name} ${why}: ${stagingApp} never showed it healthy.`,
      "Promote a version that is or was live in staging, or pass --force.",
    );
  }
  if (gatesFailed(entry)) {
    throw inputError(
      "PROMOTE_GATES_FAILED",
      `${name} failed its verify gates in ${stagingApp}.`,
      "Promote a version whose gates passed, or pass --force.",
    );
  }
  return promotedFrom;
}

/** The registry is per organisation: refused across them, whatever --force says. */
export function checkSameOrganization(
  staging: { app: string; org: string },
  target: { app: string; org: string },
): void {
  if (staging.org === target.org) return;
  throw inputError(
    "PROMOTE_CROSS_ORG",
    `${staging.app} is in organisation ${staging.org} and ${target.app} in ${target.org}: Fly's registry is per organisation, so ${target.app} cannot pull ${staging.app}'s image.`,
    "Promote between apps of one organisation, or push the image to the other organisation's registry and deploy it there.",
  );
}

/** `registry.fly.io/<staging-app>@sha256:…`: the staging image by digest, runnable in any app of its org. */
export function promotedImageRef(
  stagingApp: string,
  entry: Pick<VersionEntry, "imageRef">,
  digest: string,
): string {
  return digestReference(entry.imageRef ?? `registry.fly.io/${stagingApp}`, digest);
}
