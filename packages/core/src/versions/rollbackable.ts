/**
 * The rollbackable marker of `semfly versions`: can this version's exact image still be put back, so a
 * team learns before the incident that an old version can no longer be restored. Pure: which versions need
 * asking, and how long an answer stays good.
 */
import type { VersionEntry, VersionHistory } from "./history.js";
import { digestReference, tagReference } from "./image-ref.js";

/**
 * `restorable`: the image exists (registry, Fly, or a machine that references it); `image-gone`: the
 * registry answered 404 for the digest; `unknown`: nobody could say; `no-digest`: Fly no longer knows the
 * digest, so nothing exact can be pinned; `not-checked`: not asked this time (cap, `--no-image-check`,
 * or a version that never went live, which no rollback can target).
 */
export type RollbackableState =
  | "restorable"
  | "image-gone"
  | "unknown"
  | "no-digest"
  | "not-checked";

export interface RollbackableMarker {
  key: string;
  state: RollbackableState;
  /** Who answered: registry, graphql, machines; null when nobody did. */
  source: "registry" | "graphql" | "machines" | null;
  /** When the answer was given (now for a fresh one, earlier for a cached one); null when not asked. */
  checkedAt: string | null;
  /** True when the answer came from the cache, not from this run. */
  cached: boolean;
  detail: string;
  /** Why a version that could have been asked about was not: over the limit, or checks turned off. */
  unasked?: "limit" | "off";
}

/** What the cache keeps per digest ref: only answers that say something (never unknown). */
export interface CachedImageAnswer {
  outcome: "exists" | "gone";
  source: "registry" | "graphql" | "machines";
  checkedAt: string;
  detail: string;
}

/**
 * How long a kept answer is trusted. An image can be pruned at any time, so "exists" is asked again after a
 * day (the rollback itself checks again before it changes anything); "gone" lasts a week, since only a new
 * push of the very same bytes brings a digest back.
 */
export const IMAGE_ANSWER_TTL_MS = { exists: 24 * 3600_000, gone: 7 * 24 * 3600_000 } as const;

/** At most this many versions are asked about per run, newest first; the cache fills in the rest over runs. */
export const IMAGE_CHECK_LIMIT = 20;
/** Registry requests in flight at once. */
export const IMAGE_CHECK_CONCURRENCY = 4;

export function answerIsFresh(answer: CachedImageAnswer, now: number): boolean {
  const at = Date.parse(answer.checkedAt);
  return !Number.isNaN(at) && at <= now + 60_000 && now - at < IMAGE_ANSWER_TTL_MS[answer.outcome];
}

export interface ImageQuestion {
  key: string;
  /** The cache key: the image by digest (`registry.fly.io/acme-web@sha256:…`). */
  image: string;
  digest: string;
  tagRef: string | null;
}

export type MarkerPlan =
  | { kind: "answered"; marker: RollbackableMarker }
  | { kind: "ask"; question: ImageQuestion };

function marker(
  entry: Pick<VersionEntry, "key">,
  state: RollbackableState,
  detail: string,
  extra: Partial<RollbackableMarker> = {},
): RollbackableMarker {
  return { key: entry.key, state, source: null, checkedAt: null, cached: false, detail, ...extra };
}

export function markerFromAnswer(
  key: string,
  answer: CachedImageAnswer,
  cached: boolean,
): RollbackableMarker {
  return {
    key,
    state: answer.outcome === "exists" ? "restorable" : "image-gone",
    source: answer.source,
    checkedAt: answer.checkedAt,
    cached,
    detail: answer.detail,
  };
}

/**
 * Per version, in the history's order: an answer that costs nothing (a machine runs it, no digest, never
 * live, a fresh cached answer) or a question for the registry. Digests any machine references are kept by
 * Fly's registry, so they need no request.
 */
export function planRollbackableMarkers(
  history: Pick<VersionHistory, "versions" | "machines" | "unmanaged">,
  cache: Readonly<Record<string, CachedImageAnswer>>,
  now: number,
): MarkerPlan[] {
  const referenced = new Map<string, string>();
  for (const { machine } of [...history.machines, ...history.unmanaged]) {
    const digest = machine.imageRef?.digest;
    if (digest && !machine.state.startsWith("destroy") && !referenced.has(digest))
      referenced.set(digest, machine.id);
  }
  const at = new Date(now).toISOString();
  return history.versions.map((entry): MarkerPlan => {
    if (!entry.digest) {
      return {
        kind: "answered",
        marker: marker(entry, "no-digest", "Fly no longer knows its image digest (likely pruned)"),
      };
    }
    const machine = referenced.get(entry.digest);
    if (machine) {
      return {
        kind: "answered",
        marker: marker(entry, "restorable", `machine ${machine} references it`, {
          source: "machines",
          checkedAt: at,
        }),
      };
    }
    if (!entry.succeeded) {
      return {
        kind: "answered",
        marker: marker(entry, "not-checked", "never deployed successfully: no rollback target"),
      };
    }
    if (!entry.imageRef) {
      return {
        kind: "answered",
        marker: marker(entry, "not-checked", "no image reference to ask the registry about"),
      };
    }
    const image = digestReference(entry.imageRef, entry.digest);
    const known = cache[image];
    if (known && answerIsFresh(known, now)) {
      return { kind: "answered", marker: markerFromAnswer(entry.key, known, true) };
    }
    return {
      kind: "ask",
      question: {
        key: entry.key,
        image,
        digest: entry.digest,
        tagRef: tagReference(entry.imageRef),
      },
    };
  });
}

/**
 * Which questions a run asks, at most `limit`: first the highest version of each major.minor line (the
 * likeliest rollback targets, so an old line that can no longer be restored shows up however many patches
 * came since), then the rest newest first. The same history always picks the same versions, so their
 * answers are cached and a repeated run asks nobody.
 */
export function questionsToAsk(
  plans: readonly MarkerPlan[],
  versions: readonly Pick<VersionEntry, "key" | "version">[],
  limit: number,
): ImageQuestion[] {
  // Versions answered from the cache hold their place: otherwise each run would ask the next few.
  const candidates = plans.filter((p) => p.kind === "ask" || p.marker.cached);
  const versionOf = new Map(versions.map((v) => [v.key, v.version]));
  const seenLines = new Set<string>();
  const heads: MarkerPlan[] = [];
  const rest: MarkerPlan[] = [];
  for (const plan of candidates) {
    const key = plan.kind === "ask" ? plan.question.key : plan.marker.key;
    const line = versionOf.get(key)?.split(".").slice(0, 2).join(".");
    if (line && !seenLines.has(line)) {
      seenLines.add(line);
      heads.push(plan);
    } else rest.push(plan);
  }
  return [...heads, ...rest]
    .slice(0, Math.max(0, limit))
    .flatMap((p) => (p.kind === "ask" ? [p.question] : []));
}

/** A question left unasked (over the cap, or checks turned off). */
export function notChecked(key: string, why: string, unasked: "limit" | "off"): RollbackableMarker {
  return marker({ key }, "not-checked", why, { unasked });
}

/** An unknown answer of this run (never cached). */
export function unknownMarker(key: string, detail: string, now: number): RollbackableMarker {
  return marker({ key }, "unknown", detail, { checkedAt: new Date(now).toISOString() });
}
