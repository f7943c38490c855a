/**
 * What undoing a rollout takes: one rollback restores what ran before only when every machine the run
 * changed ran the same version before it. With drift (process groups or regions on other versions), a
 * rollback puts them all on one version, so the hint has to say what ran where. Pure.
 */

export interface UndoRef {
  key: string;
  version: string | null;
  digest: string | null;
}

/** A machine an undo would move (every managed machine semfly can reach), as the run found it. */
export interface MachineBefore {
  id: string;
  processGroup: string;
  region: string;
  /** What it ran before the run; null when nothing identified its image. */
  from: UndoRef | null;
}

/**
 * Machines of one process group in one region that ran something other than the undo target before the
 * run: the rollback back would put them on the target too, changed by the run or not.
 */
export interface UndoElsewhere {
  processGroup: string;
  region: string;
  from: UndoRef | null;
  machineIds: string[];
}

export interface ExactUndo {
  /** The version `semfly rollback` goes back to (what the app ran before the run); null: none known. */
  target: UndoRef | null;
  /** True when that rollback restores every machine to what it ran before. */
  exact: boolean;
  /** What machines ran instead of `target` before the run, per process group and region (empty when exact). */
  elsewhere: UndoElsewhere[];
}

export function exactUndo(target: UndoRef | null, machines: readonly MachineBefore[]): ExactUndo {
  const groups = new Map<string, UndoElsewhere>();
  for (const machine of machines) {
    if (target && machine.from?.key === target.key) continue;
    const id = `${machine.processGroup}\u0000${machine.region}\u0000${machine.from?.key ?? ""}`;
    let group = groups.get(id);
    if (!group) {
      group = {
        processGroup: machine.processGroup,
        region: machine.region,
        from: machine.from,
        machineIds: [],
      };
      groups.set(id, group);
    }
    group.machineIds.push(machine.id);
  }
  const elsewhere = [...groups.values()].sort(
    (a, b) => a.processGroup.localeCompare(b.processGroup) || a.region.localeCompare(b.region),
  );
  return { target, exact: target !== null && elsewhere.length === 0, elsewhere };
}
