import { shortDigest, type VersionEntry } from "@semfly/core";
import { NodeContext } from "../../constants.js";
import type { ParkedVersionSet } from "../../model/parkedVersions.js";
import {
  code,
  escapeMarkdown,
  formatClock,
  formatTimestamp,
  formatUntil,
  joinParts,
  machineCount,
} from "../format.js";
import { contextValue, type TreeItemData, type TreeNode } from "../treeItem.js";
import { MachineNode } from "./machineNode.js";

/**
 * A parked set of a version: the machines a bluegreen cut-over (or an instant rollback) kept cordoned,
 * stopped and without services, until their expiry. An unexpired one is what "Roll Back Instantly" starts.
 */
export class ParkedNode implements TreeNode {
  constructor(
    readonly parent: TreeNode & { readonly app: string },
    readonly entry: VersionEntry,
    readonly parked: ParkedVersionSet,
    /** The live version, whose machines an instant rollback parks in exchange. */
    private readonly live: VersionEntry | null,
    private readonly now: number,
  ) {}

  get app(): string {
    return this.parent.app;
  }

  /** True when an instant rollback can start it: not expired, and not what runs now. */
  get canRollBackInstantly(): boolean {
    return !this.parked.set.expired && !this.entry.live;
  }

  item(): TreeItemData {
    const { set } = this.parked;
    const clock = formatClock(set.expiresAt, this.now) ?? set.expiresAt;
    const label = set.expired ? `parked, expired ${clock}` : `parked until ${clock}`;
    // A version only labels name (no release does) loses its name once no app machine runs it; the
    // park metadata still has it.
    const count = joinParts(
      machineCount(set.machines.length),
      this.entry.version === null && set.version && `parked as ${set.version}`,
    );
    return {
      id: `${this.parent.item().id}/parked/${set.set}`,
      label,
      description: set.expired ? joinParts(count, "semfly gc destroys it") : count,
      tooltip: this.tooltip(),
      icon: set.expired ? { id: "archive", color: "charts.yellow" } : { id: "archive" },
      contextValue: contextValue(
        NodeContext.parked,
        set.expired && "expired",
        this.canRollBackInstantly && NodeContext.canRollBackInstantly,
      ),
      collapsible: "collapsed",
      accessibilityLabel: joinParts(label, count),
    };
  }

  children(): TreeNode[] {
    return this.parked.machines.map((m) => new MachineNode(this, m));
  }

  private tooltip(): string {
    const { set, machines } = this.parked;
    const name = escapeMarkdown(this.entry.version ?? set.version ?? shortDigest(set.digest));
    const regions = [...new Set(machines.map((m) => m.region))].sort().join(", ");
    const until = joinParts(formatTimestamp(set.expiresAt), formatUntil(set.expiresAt, this.now));
    const liveName = this.live ? escapeMarkdown(this.live.version ?? this.live.key) : null;
    const lines = [
      `**Parked: ${name}** · ${machineCount(machines.length)}${regions ? ` (${escapeMarkdown(regions)})` : ""}`,
      "",
      set.expired ? `Expired: ${until}` : `Parked until: ${until}`,
      set.digest ? `Digest: ${code(set.digest)}` : null,
      "Cordoned, stopped and without services: they take no traffic and cost their root filesystem only.",
      set.expired
        ? "An instant rollback no longer uses it; `semfly gc` destroys it."
        : this.entry.live
          ? "It runs the live version: nothing to roll back to."
          : `Roll Back Instantly starts them again (one machine start, no redeploy)${liveName ? `; the machines of ${liveName} are parked in exchange` : ""}.`,
    ];
    return lines.filter((line) => line !== null).join("  \n");
  }
}
