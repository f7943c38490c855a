/**
 * Parked machines: a bluegreen rollout's blue machines, kept cordoned after the cut-over, suspended with
 * their config where Fly allows it, else stopped and without services, so that an instant rollback can
 * start them again. Pure: what the metadata says.
 */
import type { VersionHistory } from "./history.js";
import type { FlyMachine, MachineConfig } from "./types.js";

/** When the parked machine may be destroyed (ISO 8601). Its presence is what makes a machine parked. */
export const PARKED_UNTIL_KEY = "semfly_parked_until";
export const PARKED_VERSION_KEY = "semfly_parked_version";
export const PARKED_DIGEST_KEY = "semfly_parked_digest";
/** The machine's `config.services` before parking, as JSON: put back exactly on un-parking. */
export const PARKED_SERVICES_KEY = "semfly_parked_services";
/** Which park (one bluegreen cut-over) it belongs to: a set is rolled back to, or destroyed, whole. */
export const PARKED_SET_KEY = "semfly_parked_set";
/**
 * The machine's `fly_platform_version` before parking. Parked, it has none, so flyctl (fly-go
 * `ListFlyAppsMachines`) leaves it alone too: a `fly deploy` must not give it services back.
 */
export const PARKED_PLATFORM_KEY = "semfly_parked_platform_version";
/** "1" when it was stopped or suspended before parking: un-parked, it stays cold. */
export const PARKED_COLD_KEY = "semfly_parked_cold";
/**
 * "suspend" when it was parked suspended: its config was kept (services too, only the metadata changed, so
 * a start resumes it from its snapshot) and it is kept from traffic by its cordon. Absent: parked stopped,
 * its services kept aside in PARKED_SERVICES_KEY.
 */
export const PARKED_MODE_KEY = "semfly_parked_mode";
/** When it was parked (ISO 8601): which sets are the oldest when a rollout keeps only some. */
export const PARKED_AT_KEY = "semfly_parked_at";

const PARK_KEYS = [
  PARKED_UNTIL_KEY,
  PARKED_VERSION_KEY,
  PARKED_DIGEST_KEY,
  PARKED_SERVICES_KEY,
  PARKED_SET_KEY,
  PARKED_COLD_KEY,
  PARKED_PLATFORM_KEY,
  PARKED_AT_KEY,
  PARKED_MODE_KEY,
];

export interface ParkedMachine {
  id: string;
  name: string;
  region: string;
  processGroup: string;
  state: string;
  set: string;
  version: string | null;
  digest: string | null;
  expiresAt: string;
  /** When it was parked; "" for machines parked before semfly recorded it (counted as the oldest). */
  parkedAt: string;
  cold: boolean;
  /** Parked suspended, config kept: un-parked by a start (a resume) and a metadata write. */
  suspendMode: boolean;
}

export interface ParkedSet {
  set: string;
  version: string | null;
  digest: string | null;
  /** The earliest expiry of its machines. */
  expiresAt: string;
  /** The latest park time of its machines ("" when none recorded it). */
  parkedAt: string;
  expired: boolean;
  machines: ParkedMachine[];
}

export function isParked(machine: Pick<FlyMachine, "metadata">): boolean {
  return Boolean(machine.metadata[PARKED_UNTIL_KEY]);
}

export function parkedMachine(machine: FlyMachine): ParkedMachine | null {
  const until = machine.metadata[PARKED_UNTIL_KEY];
  if (!until) return null;
  return {
    id: machine.id,
    name: machine.name,
    region: machine.region,
    processGroup: machine.processGroup,
    state: machine.state,
    set: machine.metadata[PARKED_SET_KEY] || machine.id,
    version: machine.metadata[PARKED_VERSION_KEY] || null,
    digest: machine.metadata[PARKED_DIGEST_KEY] || null,
    expiresAt: until,
    parkedAt: machine.metadata[PARKED_AT_KEY] || "",
    cold: machine.metadata[PARKED_COLD_KEY] === "1",
    suspendMode: machine.metadata[PARKED_MODE_KEY] === "suspend",
  };
}

/** The parked sets among these machines, newest expiry first. Destroyed machines are not parked. */
export function parkedSets(machines: readonly FlyMachine[], now: number): ParkedSet[] {
  const sets = new Map<string, ParkedMachine[]>();
  for (const machine of machines) {
    if (machine.state === "destroyed" || machine.state === "destroying") continue;
    const parked = parkedMachine(machine);
    if (parked) sets.set(parked.set, [...(sets.get(parked.set) ?? []), parked]);
  }
  return [...sets.entries()]
    .map(([set, members]) => {
      const expiresAt = members.map((m) => m.expiresAt).sort()[0]!;
      return {
        set,
        version: members[0]!.version,
        digest: members[0]!.digest,
        expiresAt,
        parkedAt: members
          .map((m) => m.parkedAt)
          .sort()
          .at(-1)!,
        expired: Date.parse(expiresAt) <= now,
        machines: members,
      };
    })
    .sort((a, b) => b.expiresAt.localeCompare(a.expiresAt));
}

export interface ParkLabel {
  set: string;
  version: string | null;
  digest: string | null;
  expiresAt: string;
  parkedAt: string;
  cold: boolean;
}

/** `--keep`: how many parked sets a rollout may leave when none is given (each costs a set of rootfs). */
export const DEFAULT_KEEP_PARKED_SETS = 1;

/**
 * The parked sets a rollout destroys after its cut-over so that at most `keep` remain: the set it just
 * parked (`newest`, null when it parked none) always stays and counts as one; of the others the most
 * recently parked stay, the oldest go. Expired sets are not special: they are old, so they go first.
 */
export function parkedSetsBeyondKeep(
  sets: readonly ParkedSet[],
  keep: number,
  newest: string | null,
): ParkedSet[] {
  const others = sets
    .filter((s) => s.set !== newest)
    .sort((a, b) => b.parkedAt.localeCompare(a.parkedAt) || b.expiresAt.localeCompare(a.expiresAt));
  const room = Math.max(0, keep - (newest !== null && sets.some((s) => s.set === newest) ? 1 : 0));
  return others.slice(room);
}

/**
 * What a bluegreen rollout or an instant rollback will destroy after its cut-over, to stay within
 * `keepParkedSets`: the set it parks in exchange counts as one (unless it destroys the current machines
 * instead); the set an instant rollback restores (`restored`) is no longer parked. The engine trims by the
 * same rule after the cut-over (parkedSetsBeyondKeep over what is parked then).
 */
export function setsDroppedByKeep(
  sets: readonly ParkedSet[],
  restored: string | null,
  choices: { keepParkedSets: number; keepPreviousMs: number },
): ParkedSet[] {
  const room = choices.keepPreviousMs > 0 ? choices.keepParkedSets - 1 : choices.keepParkedSets;
  return parkedSetsBeyondKeep(
    sets.filter((s) => s.set !== restored),
    room,
    null,
  );
}

/**
 * The config a machine is parked with: no services (Fly's proxy has nothing to route or autostart, whatever
 * it does with cordoned machines), and the park labels, the original services among them.
 */
export function parkedConfig(config: MachineConfig, label: ParkLabel): MachineConfig {
  const { services, ...rest } = config;
  const { fly_platform_version: platform, ...metadata } = config.metadata ?? {};
  return {
    ...rest,
    metadata: {
      ...metadata,
      ...(platform === undefined ? {} : { [PARKED_PLATFORM_KEY]: platform }),
      [PARKED_UNTIL_KEY]: label.expiresAt,
      [PARKED_VERSION_KEY]: label.version ?? "",
      [PARKED_DIGEST_KEY]: label.digest ?? "",
      [PARKED_SERVICES_KEY]: JSON.stringify(services ?? null),
      [PARKED_SET_KEY]: label.set,
      [PARKED_AT_KEY]: label.parkedAt,
      [PARKED_COLD_KEY]: label.cold ? "1" : "0",
    },
  };
}

/**
 * Whether a machine may be parked suspended. Fly's docs limit suspend (memory, GPUs, volumes, swap) and the
 * API facts here do not settle them, so semfly asks only for machines well inside them (at most 2 GB, no
 * GPU, volume or swap) and parks stopped whenever Fly refuses anyway: either answer is safe.
 */
export function suspendAllowed(config: MachineConfig): boolean {
  const guest = (config.guest ?? {}) as { memory_mb?: unknown; gpus?: unknown; gpu_kind?: unknown };
  const memory = typeof guest.memory_mb === "number" ? guest.memory_mb : 0;
  const gpus = typeof guest.gpus === "number" ? guest.gpus : 0;
  const mounts = Array.isArray(config.mounts) ? config.mounts.length : 0;
  const swap = typeof config.swap_size_mb === "number" ? config.swap_size_mb : 0;
  return memory <= 2048 && gpus === 0 && !guest.gpu_kind && mounts === 0 && swap === 0;
}

/**
 * The metadata write that parks a machine suspended (its config otherwise untouched): the park labels,
 * and no `fly_platform_version`, so flyctl leaves it alone as it does a machine parked stopped.
 */
export function suspendParkMetadata(
  metadata: Readonly<Record<string, string>>,
  label: ParkLabel,
): Record<string, string | null> {
  const platform = metadata.fly_platform_version;
  return {
    fly_platform_version: null,
    ...(platform === undefined ? {} : { [PARKED_PLATFORM_KEY]: platform }),
    [PARKED_UNTIL_KEY]: label.expiresAt,
    [PARKED_VERSION_KEY]: label.version ?? "",
    [PARKED_DIGEST_KEY]: label.digest ?? "",
    [PARKED_SET_KEY]: label.set,
    [PARKED_AT_KEY]: label.parkedAt,
    [PARKED_COLD_KEY]: label.cold ? "1" : "0",
    [PARKED_MODE_KEY]: "suspend",
  };
}

/**
 * The metadata write that un-parks a machine parked suspended: every park label gone, its
 * `fly_platform_version` back, and `extra` (the release keys of the run that restores it).
 */
export function suspendUnparkMetadata(
  metadata: Readonly<Record<string, string>>,
  extra: Readonly<Record<string, string>>,
): Record<string, string | null> {
  const changes: Record<string, string | null> = {};
  for (const key of PARK_KEYS) if (key in metadata) changes[key] = null;
  const platform = metadata[PARKED_PLATFORM_KEY];
  if (platform !== undefined) changes.fly_platform_version = platform;
  return { ...changes, ...extra };
}

/** The metadata write that takes `changes` back on a machine whose metadata was `before` them. */
export function metadataUndo(
  before: Readonly<Record<string, string>>,
  changes: Readonly<Record<string, string | null>>,
): Record<string, string | null> {
  return Object.fromEntries(Object.keys(changes).map((key) => [key, before[key] ?? null]));
}

/**
 * A machine parked suspended that could not be put back to sleep suspended (after a failed instant
 * rollback woke it, and Fly refused the suspend): parked stopped instead, as any stopped park is, with its
 * services kept aside in the labels, so nothing can route to it or autostart it.
 */
export function stoppedParkConfig(config: MachineConfig): MachineConfig {
  const metadata = { ...(config.metadata ?? {}) };
  if (metadata[PARKED_MODE_KEY] !== "suspend") return config;
  delete metadata[PARKED_MODE_KEY];
  metadata[PARKED_SERVICES_KEY] = JSON.stringify(config.services ?? null);
  const { services: _kept, ...rest } = config;
  return { ...rest, metadata };
}

/** The exact config the machine had before it was parked. */
export function unparkedConfig(config: MachineConfig): MachineConfig {
  const metadata = { ...(config.metadata ?? {}) };
  // Parked suspended, the services never left the config.
  const services =
    metadata[PARKED_SERVICES_KEY] === undefined
      ? (config.services ?? null)
      : (JSON.parse(metadata[PARKED_SERVICES_KEY]) as unknown);
  const platform = metadata[PARKED_PLATFORM_KEY];
  for (const key of PARK_KEYS) delete metadata[key];
  if (platform !== undefined) metadata.fly_platform_version = platform;
  const { services: _none, ...rest } = config;
  return services === null ? { ...rest, metadata } : { ...rest, services, metadata };
}

/**
 * What `rollback` with no target means when a bluegreen deploy parked the version it replaced: that set's
 * digest (the newest unexpired set that is not what runs now); null when nothing is parked. Parked machines
 * are in the history's listing as not managed.
 */
export function parkedPreviousDigest(
  history: Pick<VersionHistory, "machines" | "unmanaged" | "live">,
  now: number,
): string | null {
  const machines = [
    ...history.machines.map((i) => i.machine),
    ...history.unmanaged.map((u) => u.machine),
  ];
  const newest = parkedSets(machines, now).find(
    (s) => !s.expired && s.digest && s.digest !== history.live?.digest,
  );
  return newest?.digest ?? null;
}

/** A process group and region where a parked set has fewer machines than serve there now. */
export interface ParkedShortfall {
  processGroup: string;
  region: string;
  parked: number;
  serving: number;
}

/**
 * Where an instant rollback to `set` would leave fewer machines serving than now (a parked machine was
 * destroyed by hand, say): said before it runs, so nobody halves a region without knowing.
 */
export function parkedShortfall(
  set: { machines: readonly { processGroup: string; region: string }[] },
  serving: readonly { processGroup: string; region: string }[],
): ParkedShortfall[] {
  const count = (machines: readonly { processGroup: string; region: string }[]) => {
    const counts = new Map<string, number>();
    for (const m of machines) {
      const key = `${m.processGroup}\u0000${m.region}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  };
  const parked = count(set.machines);
  return [...count(serving).entries()]
    .filter(([key, n]) => (parked.get(key) ?? 0) < n)
    .map(([key, n]) => {
      const [processGroup, region] = key.split("\u0000") as [string, string];
      return { processGroup, region, parked: parked.get(key) ?? 0, serving: n };
    })
    .sort(
      (a, b) => a.processGroup.localeCompare(b.processGroup) || a.region.localeCompare(b.region),
    );
}
