import type { GcResult, KeptImage } from "@semfly/core";

/** `until 2026-12-31T00:00:00.000Z`, `expired … (semfly gc destroys it)`, or `no end`. */
function keptUntil(k: KeptImage, bin: string): string {
  if (!k.expiresAt) return "no end";
  return k.expired ? `expired ${k.expiresAt} (\`${bin} gc\` destroys it)` : `until ${k.expiresAt}`;
}

/** `semfly keep --list`: one line per kept version, or why there is nothing. */
export function keptText(app: string, kept: readonly KeptImage[], bin = "semfly"): string {
  if (kept.length === 0) return `No versions are kept on ${app}.`;
  const lines = [`Kept on ${app}:`];
  for (const k of kept) {
    lines.push(
      `  ${k.version}  ${k.machineId} (${k.name}, ${k.state})  ${k.image}  ${keptUntil(k, bin)}`,
    );
  }
  return lines.join("\n");
}

/** `semfly gc`: what was destroyed, and what is left and until when. */
export function gcText(result: GcResult, bin = "semfly"): string {
  const plural = (n: number) => (n === 1 ? "" : "s");
  const kept = result.keptImages.destroyed;
  const parked = result.destroyed.length - kept.length;
  const lines = [`Destroyed ${parked} parked machine${plural(parked)} of ${result.app}.`];
  if (kept.length > 0) {
    lines.push(
      `Destroyed ${kept.length} kept machine${plural(kept.length)} of ${result.app}, letting go of ${kept.map((k) => `${k.version} (${k.machineId})`).join(", ")}.`,
    );
  }
  for (const set of result.kept) {
    const count = set.machines.length;
    lines.push(
      `Kept ${set.version ?? set.digest} (${count} parked machine${count === 1 ? "" : "s"}), parked until ${set.expiresAt}.`,
    );
  }
  for (const k of result.keptImages.left) {
    lines.push(`Kept ${k.version} (machine ${k.machineId}), ${keptUntil(k, bin)}.`);
  }
  return lines.join("\n");
}
