import type { AppStatus } from "@semfly/core";
import { shortDigest, versionLabel } from "./format.js";
import { type Cell, renderTable } from "./table.js";
import type { Terminal } from "./terminal.js";

export function statusJson(history: AppStatus) {
  return {
    app: history.app,
    version: history.drift ? null : (history.live?.version ?? null),
    drift: history.drift,
    // Drift as data: per process group and region, what each set of machines runs.
    groups: history.placements.map((placement) => ({
      processGroup: placement.processGroup,
      region: placement.region,
      runs: placement.runs.map((run) => ({
        version: run.version,
        digest: run.digest,
        key: run.key,
        live: run.live,
        machines: run.machineIds,
      })),
    })),
    machines: history.machines.map((info) => ({
      id: info.machine.id,
      name: info.machine.name,
      region: info.machine.region,
      processGroup: info.machine.processGroup,
      state: info.machine.state,
      version: info.version,
      digest: info.digest,
      image: info.machine.image,
      ...(info.machine.hostStatus === "unreachable" ? { hostUnreachable: true } : {}),
    })),
    unmanaged: history.unmanaged.map(({ machine, reason }) => ({
      id: machine.id,
      name: machine.name,
      region: machine.region,
      state: machine.state,
      image: machine.image,
      reason,
    })),
  };
}

export function statusText(history: AppStatus, term: Terminal): string {
  const c = term.colors;
  const version = history.drift
    ? c.yellow("mixed (machines disagree)")
    : versionLabel(history.live);
  const lines = [`App:      ${history.app}`, `Version:  ${version}`];
  if (history.drift) {
    for (const group of history.driftGroups) {
      const runs = versionLabel(group, "an unknown image");
      const one = group.machineIds.length === 1;
      lines.push(
        c.yellow(
          `Drift:    ${group.machineIds.length} ${group.processGroup} machine${one ? "" : "s"} in ${group.region} ${one ? "runs" : "run"} ${runs}`,
        ),
      );
    }
  }
  lines.push("");
  if (history.machines.length === 0 && history.unmanaged.length === 0) {
    lines.push(`${history.app} has no machines.`);
    return lines.join("\n");
  }
  if (history.machines.length === 0) {
    lines.push(`${history.app} has no Fly Launch machines.`);
    return [...lines, ...unmanagedLines(history)].join("\n");
  }
  const liveKey = history.live?.key ?? null;
  const rows: Cell[][] = history.machines.map((info) => [
    info.machine.id,
    info.machine.name,
    info.machine.region,
    info.machine.processGroup,
    info.machine.hostStatus === "unreachable"
      ? { text: `${info.machine.state} (host unreachable)`, style: "yellow" }
      : { text: info.machine.state, style: info.machine.state === "started" ? "green" : undefined },
    {
      text: info.version ?? "-",
      style: history.drift && info.key !== liveKey ? "yellow" : undefined,
    },
    shortDigest(info.digest),
  ]);
  lines.push(
    renderTable(
      [
        { header: "ID" },
        { header: "NAME", shrink: 1 },
        { header: "REGION" },
        { header: "GROUP" },
        { header: "STATE" },
        { header: "VERSION" },
        { header: "DIGEST" },
      ],
      rows,
      { width: term.width, palette: term.colors },
    ),
  );
  return [...lines, ...unmanagedLines(history)].join("\n");
}

/** Machines outside Fly Launch management: shown, so nobody wonders why a rollout skips them. */
function unmanagedLines(history: Pick<AppStatus, "unmanaged">): string[] {
  if (history.unmanaged.length === 0) return [];
  return [
    "",
    "Not managed (semfly leaves these alone, as flyctl deploys do):",
    ...history.unmanaged.map(
      ({ machine, reason }) =>
        `  ${machine.id}  ${machine.name || "-"}  ${machine.region || "-"}  ${machine.state}: ${reason}`,
    ),
  ];
}
