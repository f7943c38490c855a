/** Where an app name came from: a fly.toml in the workspace, or the `semfly.apps` setting. */
export type AppSource = { kind: "fly.toml"; file: string } | { kind: "setting" };

export interface AppRef {
  name: string;
  sources: AppSource[];
}

export interface FlyTomlApp {
  name: string;
  /** The fly.toml's path, for tooltips and the log. */
  file: string;
}

/**
 * The apps the view shows: every fly.toml's app (in path order), then the setting's names; each app
 * once, with every place that named it.
 */
export function mergeApps(
  fromFlyToml: readonly FlyTomlApp[],
  fromSetting: readonly unknown[],
): AppRef[] {
  const byName = new Map<string, AppRef>();
  const add = (name: string, source: AppSource) => {
    const trimmed = name.trim();
    if (trimmed === "") return;
    const existing = byName.get(trimmed);
    if (existing) existing.sources.push(source);
    else byName.set(trimmed, { name: trimmed, sources: [source] });
  };
  const sorted = [...fromFlyToml].sort((a, b) => a.file.localeCompare(b.file));
  for (const found of sorted) add(found.name, { kind: "fly.toml", file: found.file });
  for (const name of fromSetting) {
    if (typeof name === "string") add(name, { kind: "setting" });
  }
  return [...byName.values()];
}
