import { type VersionDiff, versionLabel } from "@semfly/core";
import { formatTimestamp, shortUser } from "../tree/format.js";

function show(value: unknown): string {
  if (value === undefined) return "(unset)";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Core's structured diff as a text document in unified-diff style, so VS Code colours it: `-` is the
 * live version (a), `+` the compared one (b).
 */
export function renderVersionDiff(diff: VersionDiff): string {
  const { a, b } = diff;
  const name = (side: typeof a) => versionLabel(side, "unknown");
  const lines: string[] = [
    `--- ${diff.app} ${name(a)} (${a.live ? "live" : a.status})`,
    `+++ ${diff.app} ${name(b)} (${b.live ? "live" : b.status})`,
    "",
  ];
  const pair = (label: string, left: string, right: string) => {
    if (left === right) lines.push(`  ${label}: ${left}`);
    else lines.push(`- ${label}: ${left}`, `+ ${label}: ${right}`);
  };

  lines.push("@@ image @@");
  pair("version", a.version ?? "(unversioned)", b.version ?? "(unversioned)");
  pair("digest", a.digest ?? "(unknown)", b.digest ?? "(unknown)");
  pair("image", a.imageRef ?? "(unknown)", b.imageRef ?? "(unknown)");
  pair(
    "releases",
    a.releases.map((r) => `v${r}`).join(", ") || "none",
    b.releases.map((r) => `v${r}`).join(", ") || "none",
  );
  pair(
    "deployed",
    `${formatTimestamp(a.deployedAt) ?? "unknown"} by ${a.deployedBy ?? "unknown"}`,
    `${formatTimestamp(b.deployedAt) ?? "unknown"} by ${b.deployedBy ?? "unknown"}`,
  );
  if (diff.sameImage) lines.push("  (the same image: only the version name differs)");

  if (diff.source) {
    lines.push(
      "",
      "@@ source @@",
      `  ${diff.source.repository}: ${diff.source.from} → ${diff.source.to}`,
    );
    if (diff.source.compareUrl) lines.push(`  ${diff.source.compareUrl}`);
  }

  const changedLabels = diff.labels.filter((label) => label.change !== "unchanged");
  if (changedLabels.length > 0) {
    lines.push("", "@@ image labels @@");
    for (const label of changedLabels) {
      if (label.a !== null) lines.push(`- ${label.key}: ${label.a}`);
      if (label.b !== null) lines.push(`+ ${label.key}: ${label.b}`);
    }
  }

  lines.push("", "@@ machine config @@");
  if (!diff.config) {
    lines.push("  (not looked up)");
  } else if (!diff.config.foundA || !diff.config.foundB) {
    const missing = [!diff.config.foundA && name(a), !diff.config.foundB && name(b)]
      .filter(Boolean)
      .join(" and ");
    lines.push(`  (no machine config that ran ${missing} is left in the machines' history)`);
  } else if (diff.config.changes.length === 0) {
    lines.push("  (identical apart from the image)");
  } else {
    for (const change of diff.config.changes) {
      if (change.change !== "added") lines.push(`- ${change.path}: ${show(change.a)}`);
      if (change.change !== "removed") lines.push(`+ ${change.path}: ${show(change.b)}`);
    }
  }

  if (diff.releasesBetween.length > 0) {
    lines.push("", "@@ Fly releases in between (newest first) @@");
    for (const release of diff.releasesBetween) {
      lines.push(
        `  v${release.version}  ${release.status}  ${release.reason}  ${formatTimestamp(release.createdAt) ?? ""}  ${shortUser(release.user) ?? ""}`.trimEnd(),
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
