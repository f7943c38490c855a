import type { DriftGroup, MachineVersionInfo, Placement } from "./history.js";

/** Machines that run something other than the live version, per version, process group and region. */
export function driftGroupsOf(
  machines: readonly MachineVersionInfo[],
  liveKey: string | null,
): DriftGroup[] {
  const groups = new Map<string, DriftGroup>();
  for (const info of machines) {
    if (info.key === liveKey) continue;
    const id = `${info.key}\u0000${info.machine.processGroup}\u0000${info.machine.region}`;
    let group = groups.get(id);
    if (!group) {
      group = {
        key: info.key,
        version: info.version,
        digest: info.digest,
        processGroup: info.machine.processGroup,
        region: info.machine.region,
        machineIds: [],
      };
      groups.set(id, group);
    }
    group.machineIds.push(info.machine.id);
  }
  return [...groups.values()];
}

/**
 * Every process group and region of the app, with what each set of its machines runs: the whole picture
 * that drift is a part of, so a reader sees which group in which region still runs what.
 */
export function placementsOf(
  machines: readonly MachineVersionInfo[],
  liveKey: string | null,
): Placement[] {
  const placements = new Map<string, Placement>();
  for (const info of machines) {
    const where = `${info.machine.processGroup}\u0000${info.machine.region}`;
    let placement = placements.get(where);
    if (!placement) {
      placement = {
        processGroup: info.machine.processGroup,
        region: info.machine.region,
        runs: [],
      };
      placements.set(where, placement);
    }
    let run = placement.runs.find((r) => r.key === info.key);
    if (!run) {
      run = {
        key: info.key,
        version: info.version,
        digest: info.digest,
        live: info.key !== null && info.key === liveKey,
        machineIds: [],
      };
      placement.runs.push(run);
    }
    run.machineIds.push(info.machine.id);
  }
  const sorted = [...placements.values()].sort(
    (a, b) => a.processGroup.localeCompare(b.processGroup) || a.region.localeCompare(b.region),
  );
  for (const placement of sorted) {
    placement.runs.sort(
      (a, b) => Number(b.live) - Number(a.live) || b.machineIds.length - a.machineIds.length,
    );
  }
  return sorted;
}
