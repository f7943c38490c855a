import type { GateSet } from "@semfly/core";
import { formatDuration } from "@semfly/core/duration";

/** The plan's line about what will judge the rollout beyond Fly's checks. */
export function gatesText(gates: GateSet): string {
  const names = [...gates.probes, ...gates.metrics].map((g) => g.name);
  const bake = gates.bakeMs > 0 ? `, then a ${formatDuration(gates.bakeMs)} bake window` : "";
  return `\nGates: ${names.length > 0 ? names.join("; ") : "Fly's checks only"}${bake}. A failing gate reverts every changed machine.`;
}

export function gatesJson(gates: GateSet) {
  return {
    probes: gates.probes.map((p) => p.name),
    metrics: gates.metrics.map((m) => m.name),
    bakeMs: gates.bakeMs,
  };
}
