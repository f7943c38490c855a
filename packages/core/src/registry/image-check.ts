/**
 * Does the image a rollout is about to put on machines still exist? Three outcomes, never guessed:
 * - `exists`: the registry has the manifest (by digest), or GraphQL `app.image` resolves the version's tag
 *   to that very digest, or a machine runs it;
 * - `gone`: the registry itself answered 404 for the digest;
 * - `unknown`: nobody could say (no credentials, an outage, `app.image` not resolving digest refs, which
 *   is uncertain on real Fly: REAL-BEHAVIOUR.md §10). An unknown is never called "pruned".
 * Sources are asked in that order and the first that knows answers.
 */
import { inputError, SemflyError } from "../errors.js";
import type { FlyClient } from "../fly/client.js";
import type { RolloutPlan } from "../rollout/plan.js";
import type { RegistryClient } from "./client.js";
import { parseRegistryReference } from "./reference.js";

export type ImageCheckOutcome = "exists" | "gone" | "unknown";
export type ImageCheckSource = "registry" | "graphql" | "machines";

export interface ImageCheck {
  outcome: ImageCheckOutcome;
  /** Who answered; null when nobody could. */
  source: ImageCheckSource | null;
  image: string;
  digest: string;
  /** The answer, in words. */
  detail: string;
  /** Why each source asked before the answer (or all of them, for unknown) could not say. */
  unanswered: string[];
  /** An unknown the user chose to go ahead with (`--skip-image-check`). */
  skipped: boolean;
}

export interface ImageCheckInput {
  app: string;
  /** The ref the machines will get, pinned by digest. */
  image: string;
  digest: string;
  /** The version's tag ref (`registry.fly.io/acme-web:3.1.11`), when it has one. */
  tagRef: string | null;
  /** Machines that run the digest now. */
  runningOn: string[];
}

export interface ImageCheckSources {
  registry?: Pick<RegistryClient, "checkDigest"> | null | undefined;
  fly: Pick<FlyClient, "resolveImage">;
}

export interface ImageCheckOptions {
  registry?: Pick<RegistryClient, "checkDigest"> | null | undefined;
  /** Go ahead on an unknown (never on gone), loudly; the release records it. */
  skipImageCheck?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function checkImage(
  sources: ImageCheckSources,
  input: ImageCheckInput,
  signal?: AbortSignal,
): Promise<ImageCheck> {
  const unanswered: string[] = [];
  const answer = (outcome: ImageCheckOutcome, source: ImageCheckSource | null, detail: string) => ({
    outcome,
    source,
    image: input.image,
    digest: input.digest,
    detail,
    unanswered,
    skipped: false,
  });
  const host = parseRegistryReference(input.image).apiHost;

  if (sources.registry) {
    const found = await sources.registry.checkDigest(input.image, input.digest, { signal });
    if (found.status === "found") {
      const platform = found.platformDigest
        ? ` (linux/amd64 manifest ${found.platformDigest})`
        : "";
      return answer("exists", "registry", `${host} has ${input.digest}${platform}`);
    }
    if (found.status === "missing") return answer("gone", "registry", found.detail);
    unanswered.push(`registry: ${found.reason}`);
  } else {
    unanswered.push("registry: not asked (no registry client)");
  }

  // Fly resolves tag refs (flyctl only ever sends those); a digest ref is asked only when there is no tag.
  const ref = input.tagRef ?? input.image;
  try {
    const image = await sources.fly.resolveImage(input.app, ref, signal ? { signal } : {});
    if (image?.digest === input.digest) {
      return answer("exists", "graphql", `Fly's app.image(${ref}) resolves to ${input.digest}`);
    }
    unanswered.push(
      image
        ? `app.image(${ref}): the tag now names ${image.digest}, which says nothing of ${input.digest}`
        : `app.image(${ref}): no image (an answer that does not prove it gone)`,
    );
  } catch (error) {
    if (error instanceof SemflyError && error.code === "ABORTED") throw error;
    unanswered.push(`app.image(${ref}): ${describe(error)}`);
  }

  if (input.runningOn.length > 0) {
    return answer("exists", "machines", `machine ${input.runningOn[0]} runs ${input.digest}`);
  }
  unanswered.push("machines: none runs it");
  return answer("unknown", null, "nobody could say whether it still exists");
}

/** Refuse a gone image always, an unknown one unless the user said to go ahead. */
export function refuseUnusableImage(check: ImageCheck, name: string, skip: boolean): ImageCheck {
  if (check.outcome === "gone") {
    throw inputError(
      "IMAGE_NOT_FOUND",
      `The registry no longer has the image of ${name} (${check.image}): ${check.detail}.`,
      "Old images can be pruned from Fly's registry; push the image again and use `semfly deploy`.",
    );
  }
  if (check.outcome === "unknown" && !skip) {
    throw new SemflyError({
      code: "IMAGE_UNKNOWN",
      message: `Nobody could say whether the image of ${name} (${check.image}) still exists: ${check.unanswered.join("; ")}.`,
      suggestion:
        "Nothing was changed. Retry, or pass --skip-image-check to go ahead anyway (the release records it).",
      operation: "check the target image",
    });
  }
  return check.outcome === "unknown" ? { ...check, skipped: true } : check;
}

/** The loud line an unknown the user went ahead with gets. */
export function skippedImageCheckWarning(check: ImageCheck): string {
  return `Image check skipped (--skip-image-check): nobody could say whether ${check.image} still exists (${check.unanswered.join("; ")}). The release records it.`;
}

/** The outcome as one line: `Image check: exists (registry.fly.io has sha256:…)`. */
export function imageCheckLine(check: ImageCheck): string {
  if (check.outcome === "unknown") {
    return `Image check: unknown, skipped with --skip-image-check (${check.unanswered.join("; ")})`;
  }
  return `Image check: ${check.outcome} (${check.detail})`;
}

/** What the release metadata keeps of the check (`semfly.imageCheck`). */
export function imageCheckRecord(check: ImageCheck): Record<string, unknown> {
  return {
    outcome: check.outcome,
    source: check.source,
    ...(check.skipped ? { skipped: true, unanswered: check.unanswered } : {}),
  };
}

/** The check for a planned rollout: its target by digest, its tag ref, the machines already on it. */
export async function checkPlanImage(
  fly: Pick<FlyClient, "resolveImage">,
  plan: Pick<RolloutPlan, "app" | "to" | "machines" | "skipped">,
  options: ImageCheckOptions = {},
): Promise<ImageCheck> {
  const runningOn = [
    ...plan.machines.filter((m) => m.from?.digest === plan.to.digest).map((m) => m.id),
    ...plan.skipped.map((s) => s.id),
  ];
  const check = await checkImage(
    { registry: options.registry, fly },
    {
      app: plan.app,
      image: plan.to.image,
      digest: plan.to.digest,
      tagRef: plan.to.tagRef ?? null,
      runningOn,
    },
    options.signal,
  );
  return refuseUnusableImage(
    check,
    plan.to.version ?? plan.to.key,
    options.skipImageCheck === true,
  );
}
