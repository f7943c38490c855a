/**
 * The rollbackable marker per version: asks the existing image check (registry first, then Fly's
 * `app.image`, then machines) for the versions no free answer covers, a few at a time and at most
 * IMAGE_CHECK_LIMIT of them (see questionsToAsk), and keeps the answers that say something (exists, gone) by digest with the
 * time they were given. An unknown is never kept: the next run asks again.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import * as v from "valibot";
import { isSemflyError } from "../errors.js";
import type { FlyClient } from "../fly/client.js";
import type { RegistryClient } from "../registry/client.js";
import { checkImage } from "../registry/image-check.js";
import { mapLimit } from "../rollout/concurrency.js";
import type { VersionHistory } from "../versions/history.js";
import {
  type CachedImageAnswer,
  IMAGE_CHECK_CONCURRENCY,
  IMAGE_CHECK_LIMIT,
  type ImageQuestion,
  markerFromAnswer,
  notChecked,
  planRollbackableMarkers,
  questionsToAsk,
  type RollbackableMarker,
  unknownMarker,
} from "../versions/rollbackable.js";
import { writeAtomically } from "./release-cache.js";

/** Answers kept between runs, by image digest ref, one file per API endpoint. */
export interface ImageAnswerCache {
  read(endpoint: string): Promise<Record<string, CachedImageAnswer>>;
  /** Adds to what is kept (a merge with what another run wrote meanwhile). */
  write(endpoint: string, answers: Record<string, CachedImageAnswer>): Promise<void>;
}

const FORMAT = 1;
const AnswerSchema = v.object({
  outcome: v.picklist(["exists", "gone"]),
  source: v.picklist(["registry", "graphql", "machines"]),
  checkedAt: v.string(),
  detail: v.string(),
});
const FileSchema = v.object({
  format: v.literal(FORMAT),
  endpoint: v.string(),
  answers: v.record(v.string(), AnswerSchema),
});

/** `<dir>/images/<hash of endpoint>.json`, beside the release and label caches. A bad file reads as empty. */
export function createFileImageAnswerCache(dir: string): ImageAnswerCache {
  const fileOf = (endpoint: string) =>
    join(dir, "images", `${createHash("sha256").update(endpoint).digest("hex").slice(0, 32)}.json`);
  const read = async (endpoint: string) => {
    try {
      const parsed = v.safeParse(FileSchema, JSON.parse(await readFile(fileOf(endpoint), "utf8")));
      return parsed.success && parsed.output.endpoint === endpoint ? parsed.output.answers : {};
    } catch {
      return {};
    }
  };
  return {
    read,
    async write(endpoint, answers) {
      const merged = { ...(await read(endpoint)), ...answers };
      await mkdir(join(dir, "images"), { recursive: true });
      await writeAtomically(
        fileOf(endpoint),
        JSON.stringify({ format: FORMAT, endpoint, answers: merged }),
      );
    },
  };
}

export interface RollbackableOptions {
  registry?: Pick<RegistryClient, "checkDigest"> | null | undefined;
  cache?: ImageAnswerCache | undefined;
  endpoint?: string;
  now: number;
  /** Ask nobody: only free answers (machines, cache) are given; the rest are `not-checked`. */
  noRequests?: boolean;
  limit?: number;
  signal?: AbortSignal | undefined;
}

/** One marker per version of the history, in its order. */
export async function loadRollbackableMarkers(
  fly: Pick<FlyClient, "resolveImage">,
  history: Pick<VersionHistory, "app" | "versions" | "machines" | "unmanaged">,
  options: RollbackableOptions,
): Promise<RollbackableMarker[]> {
  const endpoint = options.endpoint ?? "";
  const cached = options.cache ? await options.cache.read(endpoint).catch(() => ({})) : {};
  const plans = planRollbackableMarkers(history, cached, options.now);
  const limit = options.noRequests ? 0 : (options.limit ?? IMAGE_CHECK_LIMIT);
  const asked = questionsToAsk(plans, history.versions, limit);
  const learned: Record<string, CachedImageAnswer> = {};
  const answers = new Map<string, RollbackableMarker>();
  await mapLimit(asked, IMAGE_CHECK_CONCURRENCY, async (question) => {
    answers.set(question.key, await ask(fly, history.app, question, options, learned));
  });
  if (options.cache && Object.keys(learned).length > 0) {
    await options.cache.write(endpoint, learned).catch(() => undefined);
  }
  const why = options.noRequests
    ? "image check skipped (--no-image-check)"
    : `at most ${limit} versions are checked (each major.minor line's newest first, then the newest others)`;
  return plans.map((p) =>
    p.kind === "answered"
      ? p.marker
      : (answers.get(p.question.key) ??
        notChecked(p.question.key, why, options.noRequests ? "off" : "limit")),
  );
}

async function ask(
  fly: Pick<FlyClient, "resolveImage">,
  app: string,
  question: ImageQuestion,
  options: RollbackableOptions,
  learned: Record<string, CachedImageAnswer>,
): Promise<RollbackableMarker> {
  try {
    const check = await checkImage(
      { registry: options.registry, fly },
      {
        app,
        image: question.image,
        digest: question.digest,
        tagRef: question.tagRef,
        runningOn: [],
      },
      options.signal,
    );
    if (check.outcome === "unknown" || !check.source) {
      return unknownMarker(question.key, check.unanswered.join("; "), options.now);
    }
    const answer: CachedImageAnswer = {
      outcome: check.outcome,
      source: check.source,
      checkedAt: new Date(options.now).toISOString(),
      detail: check.detail,
    };
    learned[question.image] = answer;
    return markerFromAnswer(question.key, answer, false);
  } catch (error) {
    if (isSemflyError(error) && error.code === "ABORTED") throw error;
    return unknownMarker(
      question.key,
      error instanceof Error ? error.message : String(error),
      options.now,
    );
  }
}
