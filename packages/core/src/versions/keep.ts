/**
 * Kept machines: a stopped, service-less machine that references a version's image so Fly's registry
 * keeps it ("images are retained while machines reference them"). semfly marks them with one metadata key,
 * and every other command leaves them out (see `isAppMachine`). Pure.
 */
import type { VersionEntry } from "./history.js";
import { digestReference } from "./image-ref.js";
import type { FlyMachine, MachineConfig } from "./types.js";

/** Metadata key naming the version a kept machine protects. */
export const KEEP_METADATA_KEY = "semfly_keep";
export const KEEP_DIGEST_METADATA_KEY = "semfly_keep_digest";
/** When `semfly gc` may destroy it (ISO 8601); absent: kept until `gc --all` or a manual destroy. */
export const KEEP_UNTIL_METADATA_KEY = "semfly_keep_until";

export function isKeptMachine(machine: Pick<FlyMachine, "metadata">): boolean {
  return machine.metadata[KEEP_METADATA_KEY] !== undefined;
}

export interface KeptImage {
  machineId: string;
  name: string;
  region: string;
  state: string;
  version: string;
  digest: string | null;
  image: string;
  /** Null: kept with no end. */
  expiresAt: string | null;
  expired: boolean;
}

/** The kept machines among these, by version; `now` says which have expired. */
export function keptImages(machines: readonly FlyMachine[], now = Date.now()): KeptImage[] {
  return (
    machines
      // A Fly Launch machine with keep metadata is not one semfly made (keep writes no platform version).
      .filter(
        (m) =>
          isKeptMachine(m) &&
          m.metadata.fly_platform_version === undefined &&
          m.state !== "destroyed" &&
          m.state !== "destroying",
      )
      .map((m) => ({
        machineId: m.id,
        name: m.name,
        region: m.region,
        state: m.state,
        version: m.metadata[KEEP_METADATA_KEY] ?? "",
        digest: m.metadata[KEEP_DIGEST_METADATA_KEY] ?? m.imageRef?.digest ?? null,
        image: m.image,
        ...expiry(m.metadata[KEEP_UNTIL_METADATA_KEY], now),
      }))
      .sort((a, b) => a.version.localeCompare(b.version))
  );
}

function expiry(until: string | undefined, now: number) {
  if (!until) return { expiresAt: null, expired: false };
  const at = Date.parse(until);
  // An unreadable date is not an expiry: only what semfly wrote and can read lets gc destroy it.
  return { expiresAt: until, expired: !Number.isNaN(at) && at <= now };
}

/**
 * The config of a kept machine: the image by digest, no services (no traffic, no proxy autostart),
 * no restarts, and no `fly_platform_version`, so flyctl counts it outside Fly Launch and never deploys it.
 */
export function keepMachineConfig(
  entry: Pick<VersionEntry, "key" | "version" | "imageRef">,
  digest: string,
  expiresAt: string | null = null,
): MachineConfig {
  return {
    image: digestReference(entry.imageRef ?? "", digest),
    metadata: {
      [KEEP_METADATA_KEY]: entry.version ?? entry.key,
      [KEEP_DIGEST_METADATA_KEY]: digest,
      ...(expiresAt ? { [KEEP_UNTIL_METADATA_KEY]: expiresAt } : {}),
    },
    restart: { policy: "no" },
    guest: { cpu_kind: "shared", cpus: 1, memory_mb: 256 },
  };
}

/** A machine name Fly accepts (letters, digits, dashes), naming the version. */
export function keepMachineName(version: string): string {
  return `semfly-keep-${version.toLowerCase().replace(/[^a-z0-9-]+/g, "-")}`.slice(0, 63);
}
