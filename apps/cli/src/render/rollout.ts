import type {
  RolloutEvent,
  RolloutPlan,
  RolloutResult,
  SkippedCandidate,
  VersionHistory,
  VersionRef,
} from "@semfly/core";
import type { Palette } from "./color.js";
import { versionLabel } from "./format.js";
import { type Cell, renderTable, truncate } from "./table.js";
import type { Terminal } from "./terminal.js";

type Style = Exclude<keyof Palette, "enabled">;

/** `--json` status: the engine's outcome, or `planned` for a dry run. */
export type RolloutJsonStatus = RolloutResult["status"] | "planned";

/** The command that undoes a rollout: a rollback to the version that was live before it. */
export function undoCommand(bin: string, app: string, from: VersionRef | null): string | null {
  if (!from) return null;
  return `${bin} rollback ${from.version ?? from.digest ?? from.key} --app ${app}`;
}

const refName = (ref: VersionRef | null) => versionLabel(ref);

/**
 * When one rollback cannot restore what ran before (process groups or regions ran other versions before
 * the run), what ran where, so nobody takes the undo command for an exact restore. Empty when it is exact.
 */
export function undoDriftLines(result: RolloutResult): string[] {
  const undo = result.undo;
  if (!undo || undo.elsewhere.length === 0) return [];
  const head = undo.target
    ? `Not an exact undo: it puts every machine on ${refName(undo.target)}, but before this run these ran another version (rollback has no per-group target):`
    : "No one rollback restores what ran before: the app had no single live version. Before this run:";
  return [
    head,
    ...undo.elsewhere.map((group) => {
      const ran = group.from ? refName(group.from) : "an unidentified image";
      const digest = group.from?.digest && group.from.version ? ` (${group.from.digest})` : "";
      return `  ${group.processGroup} in ${group.region}: ${ran}${digest} on ${group.machineIds.join(", ")}`;
    }),
  ];
}

/** The same, as data for --json: whether the undo is exact and what ran where instead. */
function undoDriftJson(result: RolloutResult) {
  const undo = result.undo;
  if (!undo) return { undoExact: null, undoElsewhere: [] };
  return {
    undoExact: undo.exact,
    undoElsewhere: undo.elsewhere.map((group) => ({
      processGroup: group.processGroup,
      region: group.region,
      version: group.from?.version ?? null,
      digest: group.from?.digest ?? null,
      machines: group.machineIds,
    })),
  };
}

/**
 * The one line (and suggestion) a rollout that did not complete leaves on stderr, whatever the mode:
 * stdout has the table or the JSON, and a CI step that shows only stderr still says why it failed.
 */
export function rolloutFailure(
  result: RolloutResult,
  bin: string,
): { message: string; suggestion: string } {
  const noun = result.kind === "rollback" ? "Rollback" : "Deploy";
  const subject = `${noun} of ${result.app} to ${refName(result.to)}`;
  // The engine's reason may already say the revert or the count: each is said once here.
  const reason = (result.reason ?? "")
    .trim()
    .replace(/;\s*every changed machine was put back\.?$/i, "")
    .replace(/\.+$/, "");
  let message: string;
  if (result.status === "interrupted") {
    const updated = result.machines.filter((m) => m.result === "updated").length;
    const total = result.machines.filter((m) => m.result !== "skipped").length;
    const when =
      updated === 0
        ? "before any machine changed"
        : `after ${updated} of ${total} machine${total === 1 ? "" : "s"}`;
    const own = /^interrupted (after \d+ of \d+ machines?|before any machine changed)$/i;
    message = `${subject} was interrupted ${when}${reason && !own.test(reason) ? ` (${reason})` : ""}.`;
  } else {
    const back =
      result.reverted && result.from
        ? `; every changed machine is back on ${refName(result.from)}`
        : "";
    message = `${subject} failed: ${reason || "no reason given"}${back}.`;
  }
  const undo = undoCommand(bin, result.app, result.undoTarget);
  // Not exact when groups ran other versions before: said in the suggestion too (stderr is all CI shows).
  const inexact =
    result.undo && !result.undo.exact ? " (not exact: the result says what ran where)" : "";
  // Interrupted once every machine moved (during the bake window): running it again would find the
  // target live and refuse it; what is left is judging it.
  const allMoved =
    result.machines.length > 0 &&
    result.machines.every((m) => m.result === "updated" || m.result === "skipped");
  const suggestion =
    result.status === "interrupted"
      ? allMoved
        ? `Every machine runs the target, unjudged: \`${bin} verify --app ${result.app}\` judges it now${undo ? `, or undo with \`${undo}\`${inexact}` : ""}.`
        : `Run the same command again to finish${undo ? `, or undo with \`${undo}\`${inexact}` : ""}.`
      : undo
        ? `See the machines above for what failed; to go back: \`${undo}\`${inexact}.`
        : "See the machines above for what failed, then run it again.";
  return { message, suggestion };
}

/**
 * The engine reports a machine it skipped (already on the target) by id alone: fill in its name,
 * region and group from the history the plan was made from, so its row reads like the others.
 */
export function withMachineDetails(result: RolloutResult, history: VersionHistory): RolloutResult {
  const byId = new Map(history.machines.map((info) => [info.machine.id, info.machine]));
  return {
    ...result,
    machines: result.machines.map((m) => {
      const machine = byId.get(m.id);
      if (!machine) return m;
      return {
        ...m,
        name: m.name && m.name !== m.id ? m.name : machine.name,
        region: m.region || machine.region,
        processGroup: m.processGroup || machine.processGroup,
      };
    }),
  };
}

/** "Skipped 3.2.0: never deployed successfully: v28 failed." for each version a range passed over. */
export function skippedVersionLines(skipped: SkippedCandidate[]): string[] {
  return skipped.map((s) => `Skipped ${s.version}: ${s.why}.`);
}

export function rolloutTitle(plan: RolloutPlan): string {
  const to = refName(plan.to);
  if (plan.kind === "deploy") {
    return `Deploy ${to} to ${plan.app}${plan.from ? ` (live: ${refName(plan.from)})` : ""}`;
  }
  return `Roll back ${plan.app}${plan.from ? ` from ${refName(plan.from)}` : ""} to ${to}`;
}

function strategyLine(plan: RolloutPlan): string {
  if (plan.machines.length === 0) return plan.strategy;
  if (plan.strategy === "immediate") return "immediate, every machine at once";
  if (plan.strategy === "bluegreen") {
    return "bluegreen: a green machine beside each one, all healthy before the cut-over; blue is then parked (or destroyed with --keep-previous 0)";
  }
  const batches = `${plan.batches.length} batch${plan.batches.length === 1 ? "" : "es"}`;
  const share =
    plan.maxUnavailable < 1
      ? `${Math.round(plan.maxUnavailable * 100)}%`
      : `${plan.maxUnavailable} machine${plan.maxUnavailable === 1 ? "" : "s"}`;
  const size = `${share} of each process group at a time`;
  return `${plan.strategy}: one machine first, then ${size} (${batches})`;
}

/** What a rollout will do: from → to, image, strategy and every machine it changes. */
export function planText(
  plan: RolloutPlan,
  term: Terminal,
  notRestored: string | null,
  skippedVersions: SkippedCandidate[] = [],
): string {
  const c = term.colors;
  const lines = [c.bold(rolloutTitle(plan))];
  for (const line of skippedVersionLines(skippedVersions)) lines.push(c.yellow(`  ${line}`));
  lines.push(`  Image:     ${plan.to.image}`);
  lines.push(`  Strategy:  ${strategyLine(plan)}`);
  const unreachable = new Set(plan.unreachable.map((u) => u.id));
  const onTarget = plan.skipped.filter((s) => !unreachable.has(s.id)).length;
  const cold = plan.machines.filter((m) => m.cold).length;
  const parts = [
    `${plan.machines.length} to update`,
    ...(cold > 0 ? [`${cold} of them cold (updated without starting)`] : []),
    ...(onTarget > 0 ? [`${onTarget} already on ${refName(plan.to)}`] : []),
    ...(plan.unreachable.length > 0 ? [`${plan.unreachable.length} unreachable, skipped`] : []),
    ...(plan.unmanaged.length > 0 ? [`${plan.unmanaged.length} not managed`] : []),
  ];
  lines.push(`  Machines:  ${parts.join(", ")}`);
  if (plan.verifyCold.length > 0) {
    lines.push(
      `  Verify:    ${plan.verifyCold.join(", ")} started once to check the target, then stopped again`,
    );
  }
  if (plan.releaseCommand) lines.push(`  Release command: ${plan.releaseCommand.command}`);
  if (plan.withConfig) lines.push("  Config:    each machine's config from when it ran the target");
  if (plan.reason) lines.push(`  Reason:    ${plan.reason}`);
  if (plan.machines.length > 0) {
    lines.push("");
    lines.push(
      renderTable(
        [
          { header: "MACHINE" },
          { header: "NAME", shrink: 1 },
          { header: "REGION" },
          { header: "GROUP" },
          { header: "STATE" },
          { header: "FROM" },
          { header: "TO" },
        ],
        plan.machines.map((m) => [
          m.id,
          m.name,
          m.region,
          m.processGroup,
          m.cold ? `${m.state} (stays cold)` : m.state,
          refName(m.from),
          refName(plan.to),
        ]),
        { width: term.width, palette: term.colors },
      ),
    );
  }
  for (const u of plan.unreachable) {
    lines.push(
      c.yellow(
        `  ${u.id} (${u.processGroup}, ${u.region}): host unreachable, ${unreachable.has(u.id) && plan.skipped.some((s) => s.id === u.id) ? "skipped" : "not updated"}`,
      ),
    );
  }
  for (const u of plan.unmanaged) {
    lines.push(c.dim(`  ${u.id}: not managed (${u.reason}), left alone`));
  }
  for (const warning of plan.warnings) lines.push(c.yellow(`Warning: ${warning}`));
  for (const note of plan.notes) lines.push(c.yellow(`Note: ${note}`));
  if (notRestored) {
    lines.push("");
    lines.push(c.yellow(`Note: ${notRestored}`));
  }
  return lines.join("\n");
}

/** The machines of a dry run, as `--json` lists them. */
function plannedMachines(plan: RolloutPlan, history: VersionHistory | undefined) {
  const to = refName(plan.to);
  const byId = new Map(history?.machines.map((info) => [info.machine.id, info.machine]));
  return [
    ...plan.machines.map((m) => ({
      id: m.id,
      name: m.name,
      region: m.region,
      processGroup: m.processGroup,
      from: m.from ? refName(m.from) : null,
      to,
      result: "planned",
      ...(m.cold ? { cold: true } : {}),
    })),
    ...plan.skipped.map((s) => {
      const machine = byId.get(s.id);
      return {
        id: s.id,
        name: machine?.name ?? s.id,
        region: machine?.region ?? null,
        processGroup: machine?.processGroup ?? null,
        from: to,
        to,
        result: "skipped",
        note: s.reason,
      };
    }),
  ];
}

export interface RolloutJsonInput {
  plan: RolloutPlan;
  /** Absent for a dry run. */
  result?: RolloutResult | undefined;
  bin: string;
  notRestored: string | null;
  /** The history the plan was made from: names, regions and groups of skipped machines. */
  history?: VersionHistory | undefined;
  skippedVersions?: SkippedCandidate[] | undefined;
}

export function rolloutJson({
  plan,
  result,
  bin,
  notRestored,
  history,
  skippedVersions,
}: RolloutJsonInput) {
  const status: RolloutJsonStatus = result ? result.status : "planned";
  return {
    app: plan.app,
    kind: plan.kind,
    from: plan.from ? refName(plan.from) : null,
    to: refName(plan.to),
    release: result?.release?.version ?? null,
    status,
    strategy: plan.strategy,
    dryRun: !result,
    image: plan.to.image,
    digest: { from: plan.from?.digest ?? null, to: plan.to.digest },
    machines: result
      ? result.machines.map((m) => ({
          id: m.id,
          name: m.name,
          region: m.region,
          processGroup: m.processGroup,
          from: m.from ? refName(m.from) : null,
          to: refName(m.to),
          result: m.result,
          ...(m.error ? { error: m.error } : {}),
          ...(m.note ? { note: m.note } : {}),
          ...(m.cold ? { cold: true } : {}),
          ...(m.configRestored !== undefined ? { configRestored: m.configRestored } : {}),
        }))
      : plannedMachines(plan, history),
    unmanaged: plan.unmanaged.map((u) => ({
      id: u.id,
      processGroup: u.processGroup,
      reason: u.reason,
    })),
    releaseCommand: plan.releaseCommand?.command ?? null,
    notes: plan.notes,
    batches: plan.batches,
    reason: result?.reason ?? null,
    reverted: result?.reverted ?? false,
    undo: result ? undoCommand(bin, plan.app, result.undoTarget) : null,
    ...(result ? undoDriftJson(result) : {}),
    notRestored,
    warnings: result?.warnings ?? plan.warnings,
    skippedVersions: skippedVersions ?? [],
  };
}

/** One plain line per engine event (for logs and pipes); null for events that need no line. */
export function eventLine(event: RolloutEvent, plan: RolloutPlan): string | null {
  const to = refName(plan.to);
  switch (event.type) {
    case "plan":
      return null;
    case "machine-leased":
      return `${event.machineId}: leased`;
    case "release-created":
      return `Created release v${event.release.version}`;
    case "release-status":
      return `Release v${event.release.version} is ${event.status}`;
    case "batch-started":
      return `Batch ${event.index + 1}/${event.of}: ${event.machineIds.join(", ")}`;
    case "machine-updated":
      return `${event.machineId}: updated to ${to}`;
    case "machine-started":
      return `${event.machineId}: started`;
    case "checks-passing":
      return `${event.machineId}: checks passing`;
    case "machine-settled":
      return `${event.machineId}: on ${to}, left cold`;
    case "machine-verified":
      return `${event.machineId}: verified (started, checks passing), going back to sleep`;
    case "release-command":
      return event.status === "failed"
        ? `Release command failed: ${event.reason ?? "unknown reason"}`
        : `Release command ${event.status}`;
    case "machine-failed":
      return `${event.machineId}: failed: ${event.reason}`;
    case "machine-reverting":
      return `${event.machineId}: reverting`;
    case "machine-reverted":
      return `${event.machineId}: reverted`;
    case "revert-failed":
      return `${event.machineId}: revert failed: ${event.reason}`;
    case "lease-released":
      return `${event.machineId}: lease released`;
    case "warning":
      return `Warning: ${event.message}`;
    case "gates":
      return `Gates ${event.phase === "bake" ? "(bake)" : "(after the batch)"}: ${event.summary}`;
  }
}

/**
 * Plain progress lines, with the per-machine lease events folded into one line each way (a rollout of
 * 500 machines should not print 1 000 lease lines).
 */
export function plainProgress(plan: RolloutPlan): (event: RolloutEvent) => string | null {
  let leased = 0;
  let released = 0;
  return (event) => {
    if (event.type === "machine-leased") {
      leased++;
      return leased === plan.machines.length
        ? `Leased ${leased} machine${leased === 1 ? "" : "s"}`
        : null;
    }
    if (event.type === "lease-released") {
      released++;
      return released === leased ? `Released ${released} lease${released === 1 ? "" : "s"}` : null;
    }
    return eventLine(event, plan);
  };
}

/** A machine's state on the live progress display. */
export function machineState(event: RolloutEvent): { text: string; style?: Style } | null {
  switch (event.type) {
    case "machine-leased":
      return { text: "leased" };
    case "machine-updated":
      return { text: "updated, starting", style: "cyan" };
    case "machine-started":
      return { text: "started, waiting for checks", style: "cyan" };
    case "checks-passing":
      return { text: "✓ healthy", style: "green" };
    case "machine-settled":
      return { text: "✓ updated, left cold", style: "green" };
    case "machine-verified":
      return { text: "verified, going back to sleep", style: "cyan" };
    case "machine-failed":
      return { text: `✗ ${event.reason}`, style: "red" };
    case "machine-reverting":
      return { text: "reverting", style: "yellow" };
    case "machine-reverted":
      return { text: "reverted", style: "yellow" };
    case "revert-failed":
      return { text: `✗ revert failed: ${event.reason}`, style: "red" };
    default:
      return null;
  }
}

/** The live display: one line for the rollout, one per machine, redrawn in place. */
export class LiveProgress {
  private readonly states = new Map<string, { text: string; style?: Style }>();
  private headline = "Acquiring leases…";
  private drawn = 0;

  constructor(
    private readonly plan: RolloutPlan,
    private readonly term: Terminal,
    private readonly write: (text: string) => void,
  ) {
    for (const m of plan.machines) this.states.set(m.id, { text: "pending", style: "dim" });
  }

  onEvent(event: RolloutEvent): void {
    if (event.type === "release-created") this.headline = `Release v${event.release.version}`;
    if (event.type === "batch-started") {
      this.headline = `Batch ${event.index + 1}/${event.of}`;
      for (const id of event.machineIds) this.states.set(id, { text: "updating", style: "cyan" });
    }
    if (event.type === "release-status") {
      this.headline = `Release v${event.release.version} is ${event.status}`;
    }
    if (event.type === "release-command") this.headline = `Release command ${event.status}`;
    if (event.type === "warning") this.headline = `Warning: ${event.message}`;
    const state = "machineId" in event ? machineState(event) : null;
    if (state && "machineId" in event && this.states.has(event.machineId)) {
      this.states.set(event.machineId, state);
    }
    this.draw();
  }

  lines(): string[] {
    const c = this.term.colors;
    const width = Number.isFinite(this.term.width) ? this.term.width : 200;
    const byId = new Map(this.plan.machines.map((m) => [m.id, m]));
    const cells = [...this.states.keys()].map((id) => {
      const m = byId.get(id)!;
      return [id, m.region, m.processGroup, `${refName(m.from)} → ${refName(this.plan.to)}`];
    });
    const widths = [0, 1, 2, 3].map((i) => Math.max(...cells.map((row) => [...row[i]!].length)));
    const rows = [...this.states.values()].map((state, index) => {
      const head = truncate(
        `  ${cells[index]!.map((cell, i) => cell.padEnd(widths[i]!)).join("  ")}  `,
        width,
      );
      const rest = truncate(state.text, Math.max(0, width - [...head].length));
      return head + (state.style ? c[state.style](rest) : rest);
    });
    return [truncate(this.headline, width), ...rows];
  }

  draw(): void {
    const lines = this.lines();
    // Move to the first line drawn last time and clear down, then draw afresh.
    const up = this.drawn > 0 ? `\u001b[${this.drawn}F\u001b[0J` : "";
    this.write(`${up}${lines.join("\n")}\n`);
    this.drawn = lines.length;
  }
}

const RESULT_STYLE: Record<string, "green" | "red" | "yellow" | "dim"> = {
  updated: "green",
  skipped: "dim",
  failed: "red",
  reverted: "yellow",
  "revert-failed": "red",
  "not-started": "dim",
};

/** The end of a rollout: outcome, what each machine did, what is not restored, and how to undo it. */
export function resultText(
  result: RolloutResult,
  term: Terminal,
  bin: string,
  notRestored: string | null,
): string {
  const c = term.colors;
  const to = refName(result.to);
  const verb = result.kind === "rollback" ? "Rolled back" : "Deployed";
  const release = result.release ? ` (release v${result.release.version})` : "";
  const updated = result.machines.filter((m) => m.result === "updated").length;
  const skipped = result.machines.filter((m) => m.result === "skipped").length;
  const lines: string[] = [];
  if (result.status === "complete") {
    const what = `${updated} machine${updated === 1 ? "" : "s"} updated${skipped ? `, ${skipped} already on ${to}` : ""}`;
    const subject =
      result.kind === "rollback"
        ? `${verb} ${result.app}${result.from ? ` from ${refName(result.from)}` : ""} to ${to}`
        : `${verb} ${to} to ${result.app}`;
    lines.push(c.green(`${subject}${release}: ${what}.`));
  } else {
    const noun = result.kind === "rollback" ? "Rollback" : "Deploy";
    const how =
      result.status === "failed"
        ? "failed"
        : result.status === "partial"
          ? "is incomplete"
          : "was interrupted";
    lines.push(
      c.red(
        `${noun} of ${result.app} to ${to}${release} ${how}: ${result.reason ?? "unknown reason"}`,
      ),
    );
  }
  if (result.machines.length > 0) {
    const rows: Cell[][] = result.machines.map((m) => [
      m.id,
      m.region || "-",
      m.processGroup || "-",
      refName(m.from),
      refName(m.to),
      {
        text: m.error
          ? `${m.result}: ${m.error}`
          : m.note && m.result === "skipped" && m.note !== "already on the target digest"
            ? `skipped: ${m.note}`
            : m.replacedBy && m.result === "updated"
              ? `replaced by ${m.replacedBy}`
              : m.cold && m.result === "updated"
                ? "updated (left cold)"
                : m.result,
        style: RESULT_STYLE[m.result],
      },
    ]);
    lines.push("");
    lines.push(
      renderTable(
        [
          { header: "MACHINE" },
          { header: "REGION" },
          { header: "GROUP" },
          { header: "FROM" },
          { header: "TO" },
          { header: "RESULT" },
        ],
        rows,
        { width: term.width, palette: term.colors },
      ),
    );
  }
  for (const warning of result.warnings) lines.push(c.yellow(`Warning: ${warning}`));
  if (notRestored) {
    lines.push("");
    lines.push(c.yellow(`Note: ${notRestored}`));
  }
  const undo = undoCommand(bin, result.app, result.undoTarget);
  const drift = undoDriftLines(result);
  if (undo || drift.length > 0) lines.push("");
  if (undo) {
    // After a failure left machines changed (--no-revert), the same command is the way back.
    lines.push(`${result.status === "failed" ? "To go back" : "To undo"}: ${c.bold(undo)}`);
  }
  lines.push(...drift.map((line) => c.yellow(line)));
  return lines.join("\n");
}
