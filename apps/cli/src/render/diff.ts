import type { FlyRelease, VersionDiff } from "@semfly/core";
import { shortDigest } from "./format.js";
import { type Cell, renderTable } from "./table.js";
import type { Terminal } from "./terminal.js";
import { timeAgo } from "./time.js";

function releaseJson(release: FlyRelease) {
  return {
    release: release.version,
    status: release.status,
    reason: release.reason,
    description: release.description,
    user: release.user,
    createdAt: release.createdAt,
    imageRef: release.imageRef,
  };
}

export function diffJson(diff: VersionDiff) {
  return { ...diff, releasesBetween: diff.releasesBetween.map(releaseJson) };
}

const sideName = (side: VersionDiff["a"]) =>
  side.version ?? (side.digest ? shortDigest(side.digest) : side.key);

/** A config value as one short line. */
function valueText(value: unknown): string {
  if (value === null || value === undefined) return "-";
  return typeof value === "string" ? value : JSON.stringify(value);
}

const CHANGE_STYLE = {
  added: "green",
  removed: "red",
  changed: "yellow",
  unchanged: undefined,
} as const;

/** The fly.toml section: each version's from its deploy release, or why one is missing. */
function appConfigLines(
  diff: VersionDiff,
  a: string,
  b: string,
  table: (headers: string[], rows: Cell[][]) => string,
  dim: (text: string) => string,
): string[] {
  const config = diff.appConfig;
  if (!config) return [dim("  Not compared.")];
  const missing = [
    config.a.found ? null : missingText(a, config.a.release),
    config.b.found ? null : missingText(b, config.b.release),
  ].filter((line): line is string => line !== null);
  if (missing.length > 0) return missing.map((line) => dim(`  ${line}`));
  const from = `From releases v${config.a.release} and v${config.b.release}.`;
  if (config.changes.length === 0) return [dim(`  No differences. ${from}`)];
  return [
    table(
      ["KEY", a, b],
      config.changes.map((change) => [
        { text: change.path, style: CHANGE_STYLE[change.change] },
        valueText(change.a),
        valueText(change.b),
      ]),
    ),
    dim(`  ${from}`),
  ];
}

function missingText(name: string, release: number | null): string {
  return release === null
    ? `${name} has no Fly release, so no fly.toml was recorded for it.`
    : `Release v${release} (${name}) recorded no fly.toml.`;
}

export function diffText(
  diff: VersionDiff,
  term: Terminal,
  now: number,
  options: { releases?: boolean } = {},
): string {
  const c = term.colors;
  const a = sideName(diff.a);
  const b = sideName(diff.b);
  const table = (headers: string[], rows: Cell[][]) =>
    renderTable(
      headers.map((header) => ({ header })),
      rows,
      { width: term.width - 2, palette: term.colors },
    )
      .split("\n")
      .map((line) => `  ${line}`)
      .join("\n");
  const live = (side: VersionDiff["a"]) => (side.live ? " (live)" : "");
  const out: string[] = [c.bold(`${diff.app}: ${a}${live(diff.a)} → ${b}${live(diff.b)}`), ""];

  out.push(c.bold("Image"));
  out.push(
    table(
      ["VERSION", "DIGEST", "REF"],
      [
        [a, shortDigest(diff.a.digest), diff.a.imageRef ?? "-"],
        [b, shortDigest(diff.b.digest), diff.b.imageRef ?? "-"],
      ],
    ),
  );
  if (diff.sameImage) out.push(c.dim("  Both versions are the same image."));

  out.push("", c.bold("Source"));
  if (diff.source) {
    out.push(
      `  ${diff.source.repository}  ${diff.source.from.slice(0, 7)}..${diff.source.to.slice(0, 7)}`,
    );
    if (diff.source.compareUrl) out.push(`  ${diff.source.compareUrl}`);
  } else {
    out.push(c.dim("  No org.opencontainers.image.source and .revision labels on both images."));
  }

  out.push("", c.bold("Labels"));
  const changedLabels = diff.labels.filter((l) => l.change !== "unchanged");
  if (changedLabels.length === 0) {
    out.push(c.dim(diff.labels.length === 0 ? "  No labels." : "  No differences."));
  } else {
    out.push(
      table(
        ["LABEL", a, b],
        changedLabels.map((l) => [
          { text: l.key, style: CHANGE_STYLE[l.change] },
          l.a ?? "-",
          l.b ?? "-",
        ]),
      ),
    );
  }

  out.push("", c.bold("Machine config"));
  if (!diff.config) {
    out.push(c.dim("  Not compared."));
  } else if (!diff.config.foundA || !diff.config.foundB) {
    const missing = [!diff.config.foundA ? a : null, !diff.config.foundB ? b : null].filter(
      Boolean,
    );
    out.push(c.dim(`  No machine's history holds a config that ran ${missing.join(" or ")}.`));
  } else if (diff.config.changes.length === 0) {
    out.push(c.dim("  No differences."));
  } else {
    out.push(
      table(
        ["PATH", a, b],
        diff.config.changes.map((change) => [
          { text: change.path, style: CHANGE_STYLE[change.change] },
          valueText(change.a),
          valueText(change.b),
        ]),
      ),
    );
  }

  out.push("", c.bold("App config (fly.toml)"));
  out.push(...appConfigLines(diff, a, b, table, c.dim));

  // Two apps' release numbers do not line up (`diff --against`): no section rather than an empty one.
  if (options.releases === false) return out.join("\n");
  out.push("", c.bold(`Releases between (${diff.releasesBetween.length})`));
  if (diff.releasesBetween.length === 0) {
    out.push(c.dim("  None."));
  } else {
    out.push(
      table(
        ["RELEASE", "STATUS", "REASON", "DESCRIPTION", "USER", "DATE"],
        diff.releasesBetween.map((r) => [
          `v${r.version}`,
          r.status,
          r.reason || "-",
          r.description || "-",
          r.user ?? "-",
          timeAgo(r.createdAt, now),
        ]),
      ),
    );
  }
  return out.join("\n");
}
