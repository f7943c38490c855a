import type {
  FlyClient,
  FlyMachine,
  InstantResult,
  ParkedSet,
  PreparedRollout,
  RolloutEvent,
} from "@semfly/core";
import { formatDuration } from "@semfly/core/duration";
import type { CoreModule } from "./base-command.js";
import { withInterrupts } from "./interrupts.js";
import { confirm } from "./prompt.js";
import { shortDigest, toJson, versionLabel } from "./render/format.js";
import { preflightJson, preflightText } from "./render/preflight.js";
import { eventLine, skippedVersionLines } from "./render/rollout.js";
import { terminalOf } from "./render/terminal.js";
import type { RolloutChoices, RolloutFlagValues } from "./rollout-flags.js";
import type { AfterComplete } from "./rollout-runner.js";

export interface InstantSession {
  core: CoreModule;
  client: FlyClient;
  flags: RolloutFlagValues;
  choices: RolloutChoices;
  prepared: PreparedRollout;
  set: ParkedSet;
  machines: FlyMachine[];
  signal: AbortSignal;
  out(text: string): void;
  err(text: string): void;
  exit(code: number): never;
  /** Runs after a complete instant rollback (rollback's freeze); shown with the result. */
  afterComplete?: ((result: InstantResult) => Promise<AfterComplete>) | undefined;
}

const SILENT_EVENTS: ReadonlySet<RolloutEvent["type"]> = new Set([
  "machine-leased",
  "lease-released",
  "warning",
]);

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** `rollback --instant`: the plan in two lines, the confirmation, the run, the result. */
export async function runInstant(session: InstantSession): Promise<void> {
  const { core, flags, prepared, set } = session;
  const plan = prepared.plan;
  const to = `${versionLabel(plan.to)} (${shortDigest(plan.to.digest)})`;
  const kept =
    session.choices.keepPreviousMs > 0
      ? `parked for ${formatDuration(session.choices.keepPreviousMs)}`
      : "destroyed";
  const suspended = set.machines.filter((m) => m.state === "suspended").length;
  const resumed = suspended > 0 ? `, ${suspended} suspended (resumed)` : "";
  const lines = [
    `Instant rollback of ${plan.app} from ${versionLabel(plan.from)} to ${to}`,
    `  Start:  ${plural(set.machines.length, "parked machine")} (${set.machines.map((m) => m.id).join(", ")})${resumed}, parked until ${set.expiresAt}`,
    `  Park:   ${plural(plan.machines.length, "current machine")} in exchange, ${kept}`,
  ];
  // What --keep will destroy once the restored set serves.
  const drops = core.setsDroppedByKeep(
    core.parkedSets(session.machines, Date.now()),
    set.set,
    session.choices,
  );
  for (const old of drops) {
    lines.push(
      `  Drop:   parked ${versionLabel({ version: old.version, key: old.digest ?? old.set })} (${plural(old.machines.length, "machine")}) after the cut-over (--keep ${session.choices.keepParkedSets})`,
    );
  }
  for (const short of core.parkedShortfall(set, plan.machines)) {
    lines.push(
      `  Warning: ${short.processGroup} in ${short.region} has ${plural(short.parked, "parked machine")} for the ${short.serving} that serve now: it will run with fewer.`,
    );
  }
  // As every rollback plan: the versions a range passed over, what it will not give back, the freeze after.
  lines.splice(1, 0, ...skippedVersionLines(prepared.skippedVersions).map((line) => `  ${line}`));
  const then = session.afterComplete
    ? "Then the app is frozen on the target, so deploys are refused until `semfly unfreeze` (--no-freeze skips it)."
    : null;
  const details = [
    "",
    preflightText(core, prepared.preflight, plan, terminalOf(process.stdout)),
    ...(then ? [then] : []),
  ];
  if (flags["dry-run"]) {
    if (flags.json) {
      session.out(
        toJson({
          app: plan.app,
          mode: "instant",
          dryRun: true,
          set,
          skippedVersions: prepared.skippedVersions,
          preflight: preflightJson(prepared.preflight, null, null),
          freezesAfter: session.afterComplete !== undefined,
        }),
      );
    } else session.out(`${[...lines, ...details].join("\n")}\nDry run: nothing was changed.`);
    return;
  }
  if (!flags.json) session.out([...lines, ...details].join("\n"));
  if (!flags.yes) {
    if (!process.stdin.isTTY) {
      throw core.inputError(
        "CONFIRMATION_REQUIRED",
        `Refusing to roll back ${plan.app} without confirmation: stdin is not a terminal.`,
        "Pass --yes to go ahead, or --dry-run to see the plan only.",
      );
    }
    if (!(await confirm("\nRoll back instantly? [y/N] ", process.stdout))) {
      session.err("Cancelled: nothing was changed.");
      return;
    }
  }
  // Per-machine lines in logs, pipes and with --json (on stderr), as a rollout prints them; a terminal gets
  // the result only, the wake taking about one machine start. Leases are not counted (two sets and the
  // lock), and warnings come once, with the result.
  const write = flags.json ? session.err : session.out;
  const onEvent =
    terminalOf(flags.json ? process.stderr : process.stdout).isTTY && !flags.json
      ? undefined
      : (event: RolloutEvent) => {
          if (SILENT_EVENTS.has(event.type)) return;
          const line = eventLine(event, plan);
          if (line) write(line);
        };
  const result: InstantResult = await withInterrupts(
    { leaseTtlSeconds: session.choices.leaseTtlSeconds, err: session.err },
    (interrupted) =>
      core.instantRollback(session.client, { ...plan, strategy: "bluegreen" }, session.machines, {
        signal: AbortSignal.any([session.signal, interrupted]),
        waitTimeoutMs: session.choices.waitTimeoutMs,
        leaseTtlSeconds: session.choices.leaseTtlSeconds,
        timing: session.choices.timing,
        keepPreviousMs: session.choices.keepPreviousMs,
        keepParkedSets: session.choices.keepParkedSets,
        onEvent,
      }),
  );
  const after =
    result.status === "complete" && session.afterComplete
      ? await session.afterComplete(result)
      : null;
  if (flags.json) session.out(toJson({ ...result, mode: "instant", ...after?.json }));
  else if (result.status === "complete") {
    session.out(
      `\nRolled back ${plan.app} to ${to} instantly (release v${result.release?.version}); the previous version is ${kept}: \`semfly rollback --instant ${plan.from?.digest ?? ""}\` undoes it.`,
    );
    for (const line of after?.lines ?? []) session.out(line);
  }
  if (after?.failed) session.exit(1);
  for (const warning of result.warnings) session.err(`Warning: ${warning}`);
  if (result.status !== "complete") {
    session.err(`Error: ${result.reason}`);
    session.exit(1);
  }
}
