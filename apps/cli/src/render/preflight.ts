import type { ImageCheck, RolloutPlan, RolloutPreflight, TakenSnapshot } from "@semfly/core";
import type { CoreModule } from "../base-command.js";
import type { Terminal } from "./terminal.js";

/** The plan's preflight section: what the target still has, and what the move will not give back. */
export function preflightText(
  core: CoreModule,
  preflight: RolloutPreflight,
  plan: RolloutPlan,
  term: Terminal,
): string {
  const c = term.colors;
  const target = plan.to.version ?? plan.to.key;
  const lines = core.preflightLines(preflight, target).map((line) => {
    const quiet = /: none (found|changed)/.test(line);
    return `  ${quiet ? line : c.yellow(line)}`;
  });
  return [c.bold("Preflight"), ...lines].join("\n");
}

/** The `preflight` key of `--json`: the same facts, plus the image check when one ran (dry run). */
export function preflightJson(
  preflight: RolloutPreflight,
  image: ImageCheck | null,
  snapshots: TakenSnapshot[] | null,
) {
  return {
    image: image ? { outcome: image.outcome, source: image.source, detail: image.detail } : null,
    migrations: preflight.migrations,
    secrets: preflight.secrets,
    volumes: preflight.volumes,
    snapshots,
    unknown: preflight.unknown,
  };
}

/** After a change: the snapshots taken first, and how to get a volume's data back from one. */
export function snapshotLines(snapshots: readonly TakenSnapshot[]): string[] {
  if (snapshots.length === 0) return [];
  return [
    `Volume snapshots taken before the change: ${snapshots.map((s) => `${s.snapshotId} (${s.volumeId} on ${s.machineId})`).join(", ")}.`,
    `  To get a volume's data back: fly volumes create <name> --snapshot-id ${snapshots[0]?.snapshotId} (then mount it on the machine).`,
  ];
}
