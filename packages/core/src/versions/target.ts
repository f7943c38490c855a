import semver from "semver";
import { inputError, quote } from "../errors.js";
import { findRelease, type VersionEntry, type VersionHistory } from "./history.js";
import { parseVersion } from "./recognize.js";

/**
 * What a user may roll back to: a version or range (`3.1.11`, `v3.1.11`, `^3.1`, `3.0.x`), `previous`,
 * a digest (`sha256:…`, for unversioned images), a Fly release number (`v27`, as Fly writes it), or a
 * history key.
 */
export type RollbackTarget = { spec: string } | { release: number } | { key: string };

export function describeTarget(target: RollbackTarget): string {
  if ("release" in target) return `release v${target.release}`;
  if ("key" in target) return target.key;
  return target.spec;
}

/** Resolve a rollback target against the history, or say precisely why it cannot be rolled back to. */
export function resolveRollbackTarget(
  history: VersionHistory,
  target: RollbackTarget,
  onSkip?: (skip: SkippedCandidate) => void,
): VersionEntry {
  const entry = findTarget(history, target, onSkip);
  return checkRollbackable(history, entry, describeTarget(target));
}

/** A version a range matched but passed over for a lower one, and why. */
export interface SkippedCandidate {
  version: string;
  why: string;
}

function findTarget(
  history: VersionHistory,
  target: RollbackTarget,
  onSkip: ((skip: SkippedCandidate) => void) | undefined,
): VersionEntry {
  const app = history.app;
  if ("release" in target) {
    if (!Number.isSafeInteger(target.release) || target.release < 1) {
      throw invalidRelease(String(target.release));
    }
    const found = findRelease(history, target.release);
    if (!found) {
      throw inputError(
        "RELEASE_NOT_FOUND",
        `${app} has no release ${quote(`v${target.release}`)}.`,
        `Run \`semfly releases --app ${app}\` to list its releases.`,
      );
    }
    return found.entry;
  }
  if ("key" in target) {
    const entry = history.versions.find((v) => v.key === target.key);
    if (!entry) throw neverDeployed(history, target.key);
    return entry;
  }
  return lookupVersion(history, target.spec, {
    // A range picks the highest version one can roll back to: deployed successfully, not live, pinned.
    rangeCandidate: (v) => v.succeeded && !v.live && !v.rolledBackFrom && v.digest !== null,
    rangeVerb: "to roll back to",
    onSkip,
    releaseFlag: true,
  });
}

/**
 * A Fly release number as a user writes it: `27` or `v27` (Fly's own notation). Refuses anything else,
 * and numbers past 2^53, which a JavaScript number cannot hold exactly (it would name another release).
 */
export function parseReleaseNumber(text: string): number {
  const digits = /^v?(\d+)$/i.exec(text.trim())?.[1];
  const release = digits === undefined ? Number.NaN : Number(digits);
  if (!Number.isSafeInteger(release) || release < 1) throw invalidRelease(text);
  return release;
}

function invalidRelease(text: string): Error {
  return inputError(
    "INVALID_RELEASE",
    `${quote(text)} is not a Fly release number.`,
    `Release numbers are whole numbers from 1 to ${Number.MAX_SAFE_INTEGER}, as in v27: pass --release 27.`,
  );
}

export interface LookupOptions {
  /** Which versions a range may pick (any by default). */
  rangeCandidate?: (entry: VersionEntry) => boolean;
  /** Ends "The range X matches nothing …" in the error, e.g. "to roll back to". */
  rangeVerb?: string | undefined;
  /** Told of each higher match a range passed over (not the live one: that is never a target). */
  onSkip?: ((skip: SkippedCandidate) => void) | undefined;
  /** The command takes `--release N`, so a suggestion may name it (rollback does, diff does not). */
  releaseFlag?: boolean | undefined;
}

/**
 * Find the version a user names: `live` (or `current`), `previous`, a digest (`sha256:…`, a prefix will
 * do), an exact version (`3.1.11`, `v3.1.11`, `2.0.1_build.7`) or a range (`^3.1`, `3.0.x`: the highest
 * match). Says precisely why when nothing fits; whether it can be rolled back to is not its question.
 */
export function lookupVersion(
  history: VersionHistory,
  spec: string,
  options: LookupOptions = {},
): VersionEntry {
  const app = history.app;
  const asked = spec.trim();
  const lower = asked.toLowerCase();
  if (asked === "") {
    throw inputError(
      "NOT_A_VERSION",
      "No version was given.",
      "Pass a version such as 3.1.11, a range such as ^3.1, or previous.",
    );
  }
  if (lower === "live" || lower === "current") {
    if (!history.live) {
      throw inputError(
        "NO_LIVE_VERSION",
        `${app} has no live version.`,
        "Run `semfly versions` to see what was deployed.",
      );
    }
    return history.live;
  }
  if (lower === "previous") {
    if (!history.previous) {
      throw inputError(
        "NO_PREVIOUS_VERSION",
        `${app} has no previous version.`,
        "Only one version has ever been live; name a version explicitly.",
      );
    }
    return history.previous;
  }
  if (/^sha256:[0-9a-f]{6,64}$/.test(lower)) {
    const matches = history.versions.filter((v) => v.digest?.toLowerCase().startsWith(lower));
    if (matches.length > 1) {
      throw inputError(
        "AMBIGUOUS_TARGET",
        `${quote(asked)} matches ${matches.length} images of ${app}.`,
        "Give more characters of the digest.",
      );
    }
    if (!matches[0]) throw neverDeployed(history, asked);
    return matches[0];
  }
  const releaseMatch = /^v(\d+)$/i.exec(asked);
  if (releaseMatch) return lookupReleaseOrMajor(history, asked, releaseMatch[1]!, options);
  const exact = parseVersion(asked);
  if (exact) {
    const entry =
      history.versions.find((v) => v.version === exact) ??
      // `3.1.11` also finds `3.1.11+build.7` when only one build of it was ever deployed.
      uniqueByPrecedence(history, exact, asked);
    if (!entry) throw neverDeployed(history, exact);
    return entry;
  }
  const range = semver.validRange(asked.replace(/^v(?=\d)/i, ""));
  if (range) return resolveRange(history, asked, range, options);
  throw inputError(
    "NOT_A_VERSION",
    `${quote(asked)} is not a version, a range or previous.`,
    "Pass a version such as 3.1.11, a range such as ^3.1 or 3.0.x, previous, or --release N.",
  );
}

/**
 * `v27` is how Fly writes release 27; `v3` is also how many teams write the range 3.x. When the app has
 * both a release N and versions N.x the words name two different things, so neither reading is guessed.
 */
function lookupReleaseOrMajor(
  history: VersionHistory,
  asked: string,
  digits: string,
  options: LookupOptions,
): VersionEntry {
  const number = Number(digits);
  const release = Number.isSafeInteger(number) ? findRelease(history, number) : null;
  const majors = history.versions.filter(
    (v) => v.version !== null && semver.major(v.version) === number,
  );
  if (release && majors.length > 0) {
    throw inputError(
      "AMBIGUOUS_TARGET",
      `${quote(asked)} names both Fly release ${number} (${release.entry.version ?? release.entry.key}) and the versions ${number}.x (${majors
        .slice(0, 3)
        .map((v) => v.version)
        .join(", ")}${majors.length > 3 ? ", …" : ""}).`,
      options.releaseFlag
        ? `Pass --release ${number} for the release, or ${number}.x for the range.`
        : `Pass ${release.entry.version ?? release.entry.key} for release ${number}'s version, or ${number}.x for the range.`,
    );
  }
  if (release) return release.entry;
  if (majors.length > 0) return resolveRange(history, asked, `${number}.x`, options);
  if (!Number.isSafeInteger(number)) throw invalidRelease(asked);
  throw inputError(
    "RELEASE_NOT_FOUND",
    `${history.app} has no release ${quote(asked)} and no version ${number}.x.`,
    `Run \`semfly releases --app ${history.app}\` to list its releases, or \`semfly versions\` for its versions.`,
  );
}

function uniqueByPrecedence(
  history: VersionHistory,
  exact: string,
  spec: string,
): VersionEntry | undefined {
  if (exact.includes("+")) return undefined;
  const matches = history.versions.filter((v) => v.version !== null && semver.eq(v.version, exact));
  if (matches.length > 1) {
    throw inputError(
      "AMBIGUOUS_TARGET",
      `${quote(spec)} matches ${matches.length} builds: ${matches.map((m) => m.version).join(", ")}.`,
      "Name the build exactly, e.g. 2.0.1+build.7 (or the tag form 2.0.1_build.7).",
    );
  }
  return matches[0];
}

function resolveRange(
  history: VersionHistory,
  spec: string,
  range: string,
  options: LookupOptions,
): VersionEntry {
  const matching = history.versions.filter(
    (v) => v.version !== null && semver.satisfies(v.version, range),
  );
  // history.versions is in precedence order, highest first.
  const best = options.rangeCandidate ? matching.find(options.rangeCandidate) : matching[0];
  if (best) {
    for (const passed of matching.slice(0, matching.indexOf(best))) {
      if (!passed.live && passed.version) {
        options.onSkip?.({ version: passed.version, why: whyNotCandidate(passed) });
      }
    }
    return best;
  }
  const why =
    matching.length === 0
      ? "no deployed version satisfies it"
      : `only ${matching.map((m) => `${m.version} (${m.live ? "live" : whyNotCandidate(m)})`).join(", ")} match`;
  throw inputError(
    "RANGE_NO_MATCH",
    `The range ${quote(spec)} matches nothing${options.rangeVerb ? ` ${options.rangeVerb}` : ""}: ${why}.`,
    `Run \`semfly versions --app ${history.app}\` to see the versions that were deployed.`,
  );
}

function whyNotCandidate(entry: VersionEntry): string {
  if (!entry.succeeded) {
    const failed = entry.releases.map((r) => `v${r.version} ${r.status}`).join(", ");
    return `never deployed successfully${failed ? `: ${failed}` : ""}`;
  }
  if (entry.rolledBackFrom) return "rolled back from (name it exactly to go back to it)";
  // Fly answers `image: null` for an image it has pruned, so its digest is gone with it.
  return "image unknown to Fly, likely pruned";
}

function checkRollbackable(
  history: VersionHistory,
  entry: VersionEntry,
  asked: string,
): VersionEntry {
  const name = entry.version ?? entry.key;
  if (entry.live && !history.drift) {
    throw inputError(
      "ALREADY_LIVE",
      `${name} is already live on ${history.app}.`,
      "Pick another version; `semfly versions` lists them.",
    );
  }
  if (!entry.succeeded) {
    const failed = entry.releases.map((r) => `v${r.version} ${r.status}`).join(", ");
    throw inputError(
      "NEVER_SUCCEEDED",
      `${name} was never deployed successfully to ${history.app}${failed ? ` (${failed})` : ""}.`,
      "Roll back to a version that was live before, e.g. `semfly rollback previous`.",
    );
  }
  if (!entry.digest) {
    // Fly answers `image: null` for an image it has pruned, so its digest is gone with it.
    throw inputError(
      "DIGEST_UNKNOWN",
      `Fly no longer knows the image digest of ${name}, so ${asked} cannot be pinned safely (the image may have been pruned).`,
      "Push the image again and use `semfly deploy <version> --image <ref>`.",
    );
  }
  return entry;
}

function neverDeployed(history: VersionHistory, version: string): Error {
  const known = history.versions
    .filter((v) => v.version)
    .slice(0, 5)
    .map((v) => v.version)
    .join(", ");
  return inputError(
    "NEVER_DEPLOYED",
    `${quote(version)} was never deployed to ${history.app}.`,
    known
      ? `Deployed versions include ${known}; run \`semfly versions\` for all.`
      : "Run `semfly versions` to see what was deployed.",
  );
}
