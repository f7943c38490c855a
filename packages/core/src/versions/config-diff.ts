/** Key-path differences between two configs (a machine config, or a release's fly.toml as JSON). Pure. */

export type ChangeKind = "added" | "removed" | "changed" | "unchanged";

export interface ConfigChange {
  /** A dotted path into the config, array items as `[i]`: `guest.memory_mb`, `services[0].ports`. */
  path: string;
  a: unknown;
  b: unknown;
  change: Exclude<ChangeKind, "unchanged">;
}

/**
 * Every changed leaf, sorted by path. A key on one side only is one change at that key (its whole value),
 * not one per leaf below it: `[[statics]]` added reads as one line.
 */
export function keyPathChanges(a: unknown, b: unknown): ConfigChange[] {
  const changes: ConfigChange[] = [];
  walk(a, b, "", changes);
  return changes.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

function walk(a: unknown, b: unknown, path: string, out: ConfigChange[]): void {
  if (a === undefined && b === undefined) return;
  if (a === undefined) {
    out.push({ path, a: null, b, change: "added" });
    return;
  }
  if (b === undefined) {
    out.push({ path, a, b: null, change: "removed" });
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const key of keys) walk(a[key], b[key], path ? `${path}.${key}` : key, out);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, a, b, change: "changed" });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Each side's fly.toml, from the release that deployed it (operations/config.ts reads them). */
export interface AppConfigSide {
  /** The release the definition was read from; null when the version has no release. */
  release: number | null;
  /** Null when that release recorded none. */
  definition: Record<string, unknown> | null;
}

export interface AppConfigDiff {
  a: { release: number | null; found: boolean };
  b: { release: number | null; found: boolean };
  /** Empty when either side has no recorded fly.toml. */
  changes: ConfigChange[];
}

/** The fly.toml difference of two versions, each from its deploy release. */
export function diffAppConfigs(a: AppConfigSide, b: AppConfigSide): AppConfigDiff {
  return {
    a: { release: a.release, found: a.definition !== null },
    b: { release: b.release, found: b.definition !== null },
    changes: a.definition && b.definition ? keyPathChanges(a.definition, b.definition) : [],
  };
}
