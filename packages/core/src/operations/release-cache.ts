import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import type { FlyClient } from "../fly/client.js";
import { releaseInProgress } from "../versions/release-status.js";
import type { FlyRelease } from "../versions/types.js";

/**
 * Finished releases never change, so they are kept between runs: a warm load fetches only what is new or
 * unfinished. The cache holds release data only (never a token), one file per app and API endpoint.
 */
export interface ReleaseCache {
  read(app: string, endpoint: string): Promise<CachedReleases | null>;
  write(app: string, endpoint: string, entry: CachedReleases): Promise<void>;
  /**
   * Image labels by digest, kept forever: a digest names one image config, so its labels never change.
   * Per endpoint, not per app: the registry is shared by an organisation's apps.
   */
  readLabels?(endpoint: string): Promise<CachedLabels | null>;
  /** Adds to what is kept (a merge, never a replacement). */
  writeLabels?(endpoint: string, labels: CachedLabels): Promise<void>;
}

/** What a label source answered for a digest, and which source it was. */
export interface CachedImageLabels {
  labels: Record<string, string>;
  source: string;
}

export type CachedLabels = Record<string, CachedImageLabels>;

export interface CachedReleases {
  /** Every release with a version ≤ watermark is here and finished. */
  watermark: number;
  releases: FlyRelease[];
}

const CACHE_FORMAT = 1;

const ReleaseSchema = v.object({
  id: v.string(),
  version: v.number(),
  status: v.string(),
  stable: v.boolean(),
  reason: v.string(),
  description: v.string(),
  user: v.nullable(v.string()),
  createdAt: v.string(),
  imageRef: v.nullable(v.string()),
  imageDigest: v.nullable(v.string()),
  metadata: v.nullable(v.record(v.string(), v.unknown())),
});

const CacheFileSchema = v.object({
  format: v.literal(CACHE_FORMAT),
  app: v.string(),
  endpoint: v.string(),
  watermark: v.number(),
  releases: v.array(ReleaseSchema),
});

const LabelsFileSchema = v.object({
  format: v.literal(CACHE_FORMAT),
  endpoint: v.string(),
  labels: v.record(
    v.string(),
    v.object({ labels: v.record(v.string(), v.string()), source: v.string() }),
  ),
});

/** `$XDG_CACHE_HOME/semfly` or `~/.cache/semfly`: where the CLI keeps its release cache. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "semfly");
}

/** A cache in a directory of JSON files. A corrupt or foreign file is ignored and rewritten. */
export function createFileReleaseCache(dir: string): ReleaseCache {
  const fileOf = (app: string, endpoint: string) =>
    join(
      dir,
      "releases",
      `${createHash("sha256").update(`${endpoint}\n${app}`).digest("hex").slice(0, 32)}.json`,
    );
  const labelsFileOf = (endpoint: string) =>
    join(dir, "labels", `${createHash("sha256").update(endpoint).digest("hex").slice(0, 32)}.json`);
  const readLabels = async (endpoint: string): Promise<CachedLabels | null> => {
    try {
      const parsed = v.safeParse(
        LabelsFileSchema,
        JSON.parse(await readFile(labelsFileOf(endpoint), "utf8")),
      );
      return parsed.success && parsed.output.endpoint === endpoint ? parsed.output.labels : null;
    } catch {
      return null;
    }
  };
  return {
    readLabels,
    async writeLabels(endpoint, labels) {
      // Merge with what another run may have added since this one read the file.
      const merged = { ...((await readLabels(endpoint)) ?? {}), ...labels };
      await mkdir(join(dir, "labels"), { recursive: true });
      await writeAtomically(
        labelsFileOf(endpoint),
        JSON.stringify({ format: CACHE_FORMAT, endpoint, labels: merged }),
      );
    },
    async read(app, endpoint) {
      let text: string;
      try {
        text = await readFile(fileOf(app, endpoint), "utf8");
      } catch {
        return null;
      }
      try {
        const parsed = v.safeParse(CacheFileSchema, JSON.parse(text));
        if (!parsed.success) return null;
        const file = parsed.output;
        if (file.app !== app || file.endpoint !== endpoint) return null;
        return { watermark: file.watermark, releases: file.releases };
      } catch {
        return null;
      }
    },
    async write(app, endpoint, entry) {
      await mkdir(join(dir, "releases"), { recursive: true });
      await writeAtomically(
        fileOf(app, endpoint),
        JSON.stringify({ format: CACHE_FORMAT, app, endpoint, ...entry }),
      );
    },
  };
}

/** Write then rename, so a crash never leaves a half-written cache behind. */
export async function writeAtomically(file: string, body: string): Promise<void> {
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temp, body, { mode: 0o600 });
  await rename(temp, file);
}

/** The highest version V such that every release numbered ≤ V is present and finished. */
export function finishedWatermark(releases: readonly FlyRelease[]): number {
  const sorted = [...releases].sort((a, b) => a.version - b.version);
  let watermark = 0;
  let expected = sorted[0]?.version ?? 1;
  for (const release of sorted) {
    // Fly numbers releases without gaps; a gap means we did not see everything, so stop there.
    if (release.version !== expected || releaseInProgress(release)) break;
    watermark = release.version;
    expected += 1;
  }
  return watermark;
}

export type ReleasePager = Pick<FlyClient, "allReleases">;

/**
 * Every release of the app, newest first. With a cache, pages stop as soon as they reach releases the
 * cache holds as finished; the cached copy of the release at the watermark must match Fly's (same id),
 * or the cache is foreign (the app was recreated) and is rebuilt.
 */
export async function loadReleases(
  client: ReleasePager,
  app: string,
  options: {
    cache?: ReleaseCache | undefined;
    endpoint?: string;
    signal?: AbortSignal | undefined;
    /** Sees each page of fresh releases as it arrives (newest first), while the next one is fetched. */
    onPage?: ((releases: readonly FlyRelease[]) => void) | undefined;
  } = {},
): Promise<FlyRelease[]> {
  const cache = options.cache;
  const endpoint = options.endpoint ?? "";
  const cached = cache ? await cache.read(app, endpoint).catch(() => null) : null;
  const watermark = cached?.watermark ?? 0;
  const anchor = cached?.releases.find((r) => r.version === watermark);
  const fresh: FlyRelease[] = [];
  let reachedCache = false;
  let foreign = false;
  for await (const { releases: page } of client.allReleases(app, {}, { signal: options.signal })) {
    for (const release of page) {
      if (anchor && release.version === watermark) {
        reachedCache = true;
        foreign = release.id !== anchor.id;
      }
      fresh.push(release);
    }
    options.onPage?.(page);
    if (anchor && page.some((r) => r.version <= watermark)) break;
  }
  let releases: FlyRelease[];
  if (anchor && reachedCache && !foreign) {
    const newer = fresh.filter((r) => r.version > watermark);
    releases = [...newer, ...cached!.releases.filter((r) => r.version <= watermark)];
  } else if (anchor && (foreign || !reachedCache)) {
    // The cache does not describe this app any more: fetch everything and start over.
    return loadReleases(client, app, { ...options, cache: cache ? resetCache(cache) : undefined });
  } else {
    releases = fresh;
  }
  releases.sort((a, b) => b.version - a.version);
  if (cache) {
    const mark = finishedWatermark(releases);
    const keep = releases.filter((r) => r.version <= mark);
    if (mark !== watermark || !cached)
      await cache.write(app, endpoint, { watermark: mark, releases: keep }).catch(() => {});
  }
  return releases;
}

/** A view of a cache that reads as empty once, so the next load starts from nothing. */
function resetCache(cache: ReleaseCache): ReleaseCache {
  return {
    read: async () => null,
    write: (app, endpoint, entry) => cache.write(app, endpoint, entry),
  };
}
