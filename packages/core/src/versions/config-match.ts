import type { VersionEntry } from "./history.js";
import { parseImageReference } from "./image-ref.js";
import { recognizeVersion } from "./recognize.js";
import type { MachineConfig } from "./types.js";

/**
 * Did a machine config (from the machine's version history) run this version? By digest when both are
 * known (a matching tag or release key does not outweigh a different digest), else by the tag's version,
 * else by flyctl's `fly_release_version` key naming one of the version's releases.
 */
export function configRanVersion(config: MachineConfig, entry: VersionEntry): boolean {
  const ref = parseImageReference(config.image ?? "");
  if (entry.digest && ref.digest) return ref.digest === entry.digest;
  const tagged = recognizeVersion({ imageRef: config.image })?.version;
  if (entry.version && tagged) return tagged === entry.version;
  const release = config.metadata?.fly_release_version;
  return release !== undefined && entry.releases.some((r) => String(r.version) === release);
}

/**
 * The newest config in one machine's version history that ran the version: what `--with-config` restores
 * and what `diff` compares. Fly's version ids are ULIDs, so their text order is their age.
 */
export function newestConfigThatRan(
  versions: ReadonlyArray<{ version: string; config: MachineConfig }>,
  entry: VersionEntry,
): MachineConfig | null {
  const newestFirst = [...versions].sort((a, b) => b.version.localeCompare(a.version));
  return newestFirst.find((v) => configRanVersion(v.config, entry))?.config ?? null;
}
