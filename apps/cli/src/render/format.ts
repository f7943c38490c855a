import type { FlyRelease } from "@semfly/core";

/** `sha256:ed5c6ce26bc7` — enough to tell images apart in a table. */
export function shortDigest(digest: string | null | undefined): string {
  if (!digest) return "-";
  return `sha256:${digest.replace(/^sha256:/, "").slice(0, 12)}`;
}

/** How a version is named on screen: core's one rule, which the extension uses too. */
export { versionLabel } from "@semfly/core/label";

/** Release numbers, highest first, with runs collapsed: `v27, v23-v25, v18`. */
export function releaseRanges(releases: readonly Pick<FlyRelease, "version">[]): string {
  const numbers = [...new Set(releases.map((r) => r.version))].sort((a, b) => b - a);
  const parts: string[] = [];
  let i = 0;
  while (i < numbers.length) {
    const high = numbers[i]!;
    let low = high;
    while (i + 1 < numbers.length && numbers[i + 1] === low - 1) {
      low = numbers[++i]!;
    }
    parts.push(low === high ? `v${high}` : `v${low}-v${high}`);
    i++;
  }
  return parts.length > 0 ? parts.join(", ") : "-";
}

/** JSON for stdout: two-space indent and a final newline. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
