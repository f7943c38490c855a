import { shortDigest, type VersionEntry, type VersionHistory } from "@semfly/core";
import { NodeContext } from "../../constants.js";
import { instantSet, type ParkedVersionSet, parkedVersions } from "../../model/parkedVersions.js";
import {
  code,
  escapeMarkdown,
  formatAge,
  formatClock,
  formatTimestamp,
  joinParts,
  machineCount,
  shortUser,
} from "../format.js";
import { contextValue, type TreeItemData, type TreeNode } from "../treeItem.js";
import { rollbackBlocker, VERSION_ICONS, versionLook } from "../versionState.js";
import { GroupNode } from "./groupNode.js";
import { ParkedNode } from "./parkedNode.js";

/** One version of an app: its semver (or digest), state, parked sets, releases and machines. */
export class VersionNode implements TreeNode {
  /** Its parked sets, newest expiry first (the app node hands them over; computed when built alone). */
  readonly parked: readonly ParkedVersionSet[];

  constructor(
    readonly parent: TreeNode,
    readonly history: VersionHistory,
    readonly entry: VersionEntry,
    private readonly now: number,
    parked?: readonly ParkedVersionSet[],
  ) {
    this.parked = parked ?? parkedVersions(history, now).byVersion.get(entry.key) ?? [];
  }

  /** The parked set an instant rollback to this version starts, if it has one. */
  get instantSet(): ParkedVersionSet | undefined {
    return this.entry.live ? undefined : instantSet(this.parked);
  }

  get app(): string {
    return this.history.app;
  }

  /** Why a rollback to this version is refused, or null when it is allowed. */
  get rollbackBlocker(): string | null {
    return rollbackBlocker(this.history, this.entry);
  }

  get label(): string {
    return this.entry.version ?? shortDigest(this.entry.digest ?? null);
  }

  item(): TreeItemData {
    const entry = this.entry;
    const look = versionLook(entry);
    // The newest release is what the row is about: after a rollback to v28's version, "v31 · just now ·
    // bob@…", not the age and author of the deploy that first made it (that is in the tooltip).
    const latest = entry.releases[0];
    const count = entry.machines.length;
    // During drift, how many machines run each side; a version no release names says so.
    const machines = entry.drift ? `${count} machine${count === 1 ? "" : "s"}` : null;
    const description = entry.live
      ? joinParts("live", machines)
      : joinParts(
          latest ? `v${latest.version}` : "no release",
          machines,
          formatAge(latest?.createdAt ?? entry.deployedAt, this.now),
          shortUser(latest ? latest.user : entry.deployedBy),
        );
    const canCompare = !entry.live && this.history.live !== null;
    const blocker = this.rollbackBlocker;
    const instant = this.instantSet;
    return {
      id: `app/${this.app}/version/${entry.key}`,
      label: this.label,
      description,
      tooltip: this.tooltip(look, blocker),
      icon: VERSION_ICONS[look],
      contextValue: contextValue(
        NodeContext.version,
        look,
        blocker === null && NodeContext.canRollBack,
        instant && NodeContext.canRollBackInstantly,
        entry.digest !== null && NodeContext.hasDigest,
        canCompare && NodeContext.canCompare,
      ),
      // Open while it can be rolled back to instantly, so the parked set and its expiry are in sight.
      collapsible: instant
        ? "expanded"
        : entry.releases.length + entry.machines.length + this.parked.length > 0
          ? "collapsed"
          : "none",
      accessibilityLabel: joinParts(this.label, look, entry.live ? machines : description),
    };
  }

  children(): TreeNode[] {
    const children: TreeNode[] = this.parked.map(
      (parked) => new ParkedNode(this, this.entry, parked, this.history.live, this.now),
    );
    if (this.entry.releases.length > 0) {
      children.push(new GroupNode(this, "releases", this.history, this.entry, this.now));
    }
    if (this.entry.machines.length > 0) {
      children.push(new GroupNode(this, "machines", this.history, this.entry, this.now));
    }
    return children;
  }

  private tooltip(look: string, blocker: string | null): string {
    const entry = this.entry;
    const releases = entry.releases.map((r) => `v${r.version} (${r.status})`).join(", ");
    const latest = entry.releases[0];
    const first = entry.releases.at(-1);
    const lines = [
      `**${escapeMarkdown(this.label)}** · ${look}${entry.status !== look ? ` (${entry.status})` : ""}`,
      "",
      entry.digest ? `Digest: ${code(entry.digest)}` : "Digest: unknown",
      entry.imageRef ? `Image: ${code(entry.imageRef)}` : null,
      `Fly releases: ${releases || "none (machines run it without a release: `fly image update` or `fly machine update --image`)"}`,
      entry.labels["org.opencontainers.image.version"]
        ? `Label ${code("org.opencontainers.image.version")}: ${escapeMarkdown(entry.labels["org.opencontainers.image.version"])}`
        : null,
      ...this.deployLines(latest, first),
      entry.machines.length > 0
        ? `Machines: ${entry.machines.length} (${[...new Set(entry.machines.map((m) => m.region))].join(", ")})`
        : null,
      ...this.parkedLines(),
      !entry.live && blocker ? `Cannot roll back: ${escapeMarkdown(blocker)}` : null,
    ];
    return lines.filter((line) => line !== null).join("  \n");
  }

  /** "Parked: 7 machines until 14:05 (2026-12-02 14:05 UTC): Roll Back Instantly starts them". */
  private parkedLines(): string[] {
    return this.parked.map(({ set }) => {
      const when = `${formatClock(set.expiresAt, this.now) ?? set.expiresAt} (${formatTimestamp(set.expiresAt) ?? set.expiresAt})`;
      const count = machineCount(set.machines.length);
      if (set.expired) return `Parked: ${count}, expired ${when}`;
      return `Parked: ${count} until ${when}${this.entry.live ? "" : ": Roll Back Instantly starts them"}`;
    });
  }

  /** The newest release and, when the version has several, its first deploy. */
  private deployLines(
    latest: VersionEntry["releases"][number] | undefined,
    first: VersionEntry["releases"][number] | undefined,
  ): string[] {
    if (!latest || !first) {
      return [`Deployed by ${this.who(this.entry.deployedBy)}${this.when(this.entry.deployedAt)}`];
    }
    if (latest === first) return [`Deployed: ${this.releaseLine(latest)}`];
    return [
      `Newest release: ${this.releaseLine(latest)}`,
      `First deployed: ${this.releaseLine(first)}`,
    ];
  }

  /** "v31 by bob@example.com, 2026-11-26 09:14 UTC (just now)" */
  private releaseLine(release: VersionEntry["releases"][number]): string {
    return `v${release.version} by ${this.who(release.user)}${this.when(release.createdAt)}`;
  }

  private who(user: string | null): string {
    return escapeMarkdown(user ?? "unknown");
  }

  private when(iso: string | null): string {
    const stamp = formatTimestamp(iso);
    const age = formatAge(iso, this.now);
    return `${stamp ? `, ${stamp}` : ""}${age ? ` (${age})` : ""}`;
  }
}
