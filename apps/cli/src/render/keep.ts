import type { KeptImage } from "@semfly/core";

/** `semfly keep --list`: one line per kept version, or why there is nothing. */
export function keptText(app: string, kept: readonly KeptImage[]): string {
  if (kept.length === 0) return `No versions are kept on ${app}.`;
  const lines = [`Kept on ${app}:`];
  for (const k of kept) {
    lines.push(`  ${k.version}  ${k.machineId} (${k.name}, ${k.state})  ${k.image}`);
  }
  return lines.join("\n");
}
