/** `semfly config VERSION`: the fly.toml a version was deployed with, read from its deploy release. */
import { SemflyError } from "../errors.js";
import type { FlyClient } from "../fly/client.js";
import type { AppConfigSide } from "../versions/config-diff.js";
import {
  chooseConfigRelease,
  deployReleaseOf,
  normalizeDefinition,
} from "../versions/config-release.js";
import type { VersionEntry, VersionHistory } from "../versions/history.js";
import { lookupVersion } from "../versions/target.js";

/** The one call the engine already makes for a release's app config (operations/prepare.ts). */
export type ConfigClient = Pick<FlyClient, "releaseDefinition">;

export interface VersionConfig {
  app: string;
  key: string;
  version: string | null;
  digest: string | null;
  /** The Fly release the fly.toml was read from. */
  release: number;
  /** The fly.toml as JSON (`Release.config.definition`), nulls dropped. */
  definition: Record<string, unknown>;
}

/**
 * Read the fly.toml of a version (`{ spec }`: its deploy release) or of one release (`{ release }`).
 * A release that recorded none is an error (exit 1) that says where else to look.
 */
export async function loadVersionConfig(
  client: ConfigClient,
  history: VersionHistory,
  target: { spec: string } | { release: number },
  signal?: AbortSignal,
): Promise<VersionConfig> {
  const chosen = chooseConfigRelease(
    history,
    "release" in target
      ? { release: target.release }
      : lookupVersion(history, target.spec, { releaseFlag: true }),
  );
  const read = await client.releaseDefinition(history.app, chosen.release.version, { signal });
  const definition = normalizeDefinition(read?.definition);
  const name = chosen.entry.version ?? chosen.entry.key;
  if (!definition) {
    throw new SemflyError({
      code: "CONFIG_NOT_RECORDED",
      message: `Release v${chosen.release.version} (${name}) of ${history.app} recorded no app config (fly.toml).`,
      suggestion: `See the machine config it ran with: \`semfly diff ${name}\` (from the machines' history) or \`fly machine status -d\`.`,
    });
  }
  return {
    app: history.app,
    key: chosen.entry.key,
    version: chosen.entry.version,
    digest: chosen.entry.digest,
    release: chosen.release.version,
    definition,
  };
}

/** Each version's fly.toml from its deploy release, for `diff` (none: release or definition null). */
export async function readDeployConfigs(
  client: ConfigClient,
  sides: ReadonlyArray<{ app: string; entry: VersionEntry }>,
  signal?: AbortSignal,
): Promise<AppConfigSide[]> {
  return Promise.all(
    sides.map(async ({ app, entry }) => {
      const release = deployReleaseOf(entry)?.version ?? null;
      if (release === null) return { release, definition: null };
      const read = await client.releaseDefinition(app, release, { signal });
      return { release, definition: normalizeDefinition(read?.definition) };
    }),
  );
}
