/**
 * Which Fly release holds the fly.toml a version was deployed with, and that fly.toml in a printable form.
 * Pure: the release's `config { definition }` is read at the edge (operations/config.ts).
 */
import { stringify } from "smol-toml";
import { inputError, quote } from "../errors.js";
import { findRelease, type VersionEntry, type VersionHistory } from "./history.js";
import { releaseSucceeded } from "./release-status.js";
import type { FlyRelease } from "./types.js";

export interface ConfigRelease {
  entry: VersionEntry;
  release: FlyRelease;
}

/**
 * The release a version was deployed by: its oldest completed release (the deploy that brought it in;
 * later ones are scale and secrets changes or rollbacks, which record whatever config was current then),
 * else its newest attempt. Null for a version only machines know (`fly image update`): no release at all.
 */
export function deployReleaseOf(entry: VersionEntry): FlyRelease | null {
  const succeeded = entry.releases.filter(releaseSucceeded);
  return succeeded[succeeded.length - 1] ?? entry.releases[0] ?? null;
}

/** `config VERSION` picks the version's deploy release; `config --release N` that release itself. */
export function chooseConfigRelease(
  history: VersionHistory,
  entryOrRelease: VersionEntry | { release: number },
): ConfigRelease {
  if ("release" in entryOrRelease) {
    const found = findRelease(history, entryOrRelease.release);
    if (!found) {
      throw inputError(
        "RELEASE_NOT_FOUND",
        `${history.app} has no release ${quote(`v${entryOrRelease.release}`)}.`,
        `Run \`semfly releases --app ${history.app}\` to list its releases.`,
      );
    }
    return found;
  }
  const release = deployReleaseOf(entryOrRelease);
  if (!release) {
    const name = entryOrRelease.version ?? entryOrRelease.key;
    throw inputError(
      "NO_RELEASE",
      `${name} runs on ${history.app} without a Fly release (an image change such as \`fly image update\`): no fly.toml was recorded for it.`,
      `See the machine config it runs with \`semfly diff ${name}\` or \`fly machine status\`.`,
    );
  }
  return { entry: entryOrRelease, release };
}

/**
 * A recorded definition as an app config, or null when there is none (`{}` counts as none: flyctl treats
 * it as missing too). Nulls are dropped, since TOML has no null and flyctl writes absent keys as null.
 */
export function normalizeDefinition(definition: unknown): Record<string, unknown> | null {
  if (!isRecord(definition)) return null;
  const cleaned = withoutNulls(definition) as Record<string, unknown>;
  return Object.keys(cleaned).length > 0 ? cleaned : null;
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== null).map(withoutNulls);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null || item === undefined) continue;
    out[key] = withoutNulls(item);
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A definition as fly.toml text (the form flyctl's `fly config show` reads back, as TOML). */
export function appConfigToml(definition: Record<string, unknown>): string {
  return stringify(definition);
}
