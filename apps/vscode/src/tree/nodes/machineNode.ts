import { type FlyMachine, isCold, isParked, type MachineCheck } from "@semfly/core";
import { NodeContext } from "../../constants.js";
import { code, escapeMarkdown, joinParts } from "../format.js";
import { contextValue, type IconData, type TreeItemData, type TreeNode } from "../treeItem.js";

/** A machine running a version: region, process group, state, checks. */
export class MachineNode implements TreeNode {
  constructor(
    readonly parent: TreeNode,
    readonly machine: FlyMachine,
    /** Why semfly leaves it alone, for a machine outside Fly Launch management. */
    readonly unmanagedReason: string | null = null,
  ) {}

  item(): TreeItemData {
    const m = this.machine;
    return {
      id: `${this.parent.item().id}/machine/${m.id}`,
      label: m.name || m.id,
      description: joinParts(
        m.region,
        m.processGroup,
        m.state,
        ...machineNotes(m, this.unmanagedReason),
        checksSummary(m.checks),
      ),
      tooltip: this.tooltip(),
      icon: this.unmanagedReason ? { id: "circle-slash" } : machineIcon(m),
      contextValue: contextValue(NodeContext.machine),
      collapsible: "none",
      accessibilityLabel: joinParts(`Machine ${m.name || m.id}`, m.region, m.state),
    };
  }

  children(): TreeNode[] {
    return [];
  }

  private tooltip(): string {
    const m = this.machine;
    const lines = [
      `**${escapeMarkdown(m.name || m.id)}** ${code(m.id)}`,
      "",
      `Region: ${escapeMarkdown(m.region)} · process group: ${escapeMarkdown(m.processGroup)}`,
      `State: ${escapeMarkdown(m.state)}`,
      ...machineNotes(m, this.unmanagedReason).map(
        (note) =>
          `${escapeMarkdown(note)}: ${NOTE_HELP[note] ?? escapeMarkdown(this.unmanagedReason ?? "")}`,
      ),
      `Image: ${code(m.image)}`,
      ...m.checks.map(
        (check) =>
          `Check ${escapeMarkdown(check.name)}: ${escapeMarkdown(check.status)}${check.output ? ` (${escapeMarkdown(check.output.slice(0, 120))})` : ""}`,
      ),
    ];
    return lines.join("  \n");
  }
}

/** "2/2 checks passing", "1 of 2 checks critical"; null without checks. */
export function checksSummary(checks: readonly MachineCheck[]): string | null {
  if (checks.length === 0) return null;
  const critical = checks.filter((c) => c.status === "critical").length;
  const warning = checks.filter((c) => c.status === "warning").length;
  const passing = checks.filter((c) => c.status === "passing").length;
  if (critical > 0) return `${critical} of ${checks.length} checks critical`;
  if (warning > 0) return `${warning} of ${checks.length} checks warning`;
  return `${passing}/${checks.length} checks passing`;
}

const NOTE_HELP: Record<string, string> = {
  parked:
    "cordoned and suspended or stopped: it takes no traffic until an instant rollback starts it",
  cold: "a rollback updates it without starting it, and it stays stopped",
  standby: "a standby for another machine: a rollback updates it without starting it",
  "host unreachable": "Fly cannot reach its host: a rollback never leases or updates it",
};

/** What a rollback does differently with this machine: cold, standby, unreachable, parked, or not managed. */
export function machineNotes(machine: FlyMachine, unmanagedReason: string | null): string[] {
  if (unmanagedReason) return [`not managed (${unmanagedReason})`];
  if (isParked(machine)) return ["parked"];
  if (machine.hostStatus === "unreachable") return ["host unreachable"];
  const standbys = machine.config.standbys;
  if (Array.isArray(standbys) && standbys.length > 0) return ["standby"];
  return isCold(machine) ? ["cold"] : [];
}

function machineIcon(machine: FlyMachine): IconData {
  if (machine.hostStatus === "unreachable") return { id: "warning", color: "charts.yellow" };
  if (machine.checks.some((c) => c.status === "critical")) {
    return { id: "vm-outline", color: "charts.red" };
  }
  if (machine.state === "started") return { id: "vm-running", color: "charts.green" };
  if (machine.state === "stopped" || machine.state === "suspended") return { id: "vm-outline" };
  return { id: "vm" };
}
