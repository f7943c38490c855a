import { Flags } from "@oclif/core";
import type { KeptImage, ParkedSet } from "@semfly/core";
import { BaseCommand } from "../base-command.js";
import { confirm } from "../prompt.js";
import { gcText } from "../render/keep.js";

/** What a gc run would destroy: the parked sets and kept machines it picks, read from the app's machines. */
interface GcPlan {
  app: string;
  parked: ParkedSet[];
  kept: KeptImage[];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function planText(plan: GcPlan, bin: string, all: boolean): string {
  const parked = plan.parked.flatMap((s) => s.machines);
  if (parked.length === 0 && plan.kept.length === 0)
    return `Nothing to destroy on ${plan.app}${all ? "" : " (nothing has expired)"}.`;
  const lines = [`Would destroy on ${plan.app}:`];
  for (const set of plan.parked) {
    lines.push(
      `  parked ${set.version ?? set.digest}: ${set.machines.map((m) => m.id).join(", ")} (parked until ${set.expiresAt})`,
    );
  }
  for (const k of plan.kept) {
    lines.push(
      `  kept ${k.version}: ${k.machineId} (${k.expiresAt ? `until ${k.expiresAt}` : "no end"})`,
    );
  }
  lines.push(
    `${plural(parked.length, "parked machine")} and ${plural(plan.kept.length, "kept machine")}. Dry run: nothing was changed. Run \`${bin} gc${all ? " --all" : ""}\` to destroy them.`,
  );
  return lines.join("\n");
}

export default class Gc extends BaseCommand {
  static override summary =
    "Destroy parked and kept machines whose time is up (--all: every one semfly parked or kept).";
  static override description =
    "Parked machines (a bluegreen deploy's previous version) are destroyed once their park expires; kept machines (`semfly keep --for`) once their keep does; a kept machine with no end stays until `--all`. Each machine is leased and read back first: only machines semfly parked or kept are destroyed, never an app machine. `--all` also destroys the way back of an instant rollback, so it asks first (or takes `--yes`).";
  static override examples = [
    "<%= config.bin %> <%= command.id %> --app acme-web",
    "<%= config.bin %> <%= command.id %> --all --dry-run",
    "<%= config.bin %> <%= command.id %> --all --yes",
  ];
  static override strict = false;
  static override flags = {
    all: Flags.boolean({
      summary: "Destroy every parked set and every kept machine, expired or not.",
    }),
    "dry-run": Flags.boolean({
      summary: "List what would be destroyed; change nothing.",
    }),
    yes: Flags.boolean({
      char: "y",
      summary: "Do not ask before --all (required with --all when stdin is not a terminal).",
    }),
  };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Gc);
    this.refuseArguments(argv as string[]);
    const core = await this.core();
    const all = flags.all;
    const asks = all && !flags["dry-run"] && !flags.yes;
    // Before any request: a script that forgot --yes learns it without semfly touching Fly.
    if (asks && !process.stdin.isTTY) {
      throw core.inputError(
        "CONFIRMATION_REQUIRED",
        "Refusing gc --all without confirmation (stdin is not a terminal): pass --yes, or --dry-run to list what it would destroy.",
      );
    }
    const { app, client } = await this.connect(flags);
    const now = this.now();
    let shown: Awaited<ReturnType<typeof client.listMachines>> | undefined;
    if (flags["dry-run"] || asks) {
      shown = await client.listMachines(app, { signal: this.signal });
      const due = core.gcPlan(shown, { all, now });
      const plan: GcPlan = { app, parked: due.parked, kept: due.kept };
      if (flags["dry-run"]) {
        if (flags.json) this.outJson({ ...plan, dryRun: true });
        else this.out(planText(plan, this.config.bin, all));
        return;
      }
      const parked = plan.parked.flatMap((s) => s.machines).length;
      if (parked + plan.kept.length > 0) {
        const question = `Destroy ${plural(parked, "parked machine")} (the way back of an instant rollback) and ${plural(plan.kept.length, "kept machine")} of ${app}? [y/N] `;
        if (!(await confirm(question, flags.json ? process.stderr : process.stdout))) {
          this.err("Cancelled: nothing was changed.");
          return;
        }
      }
    }
    // What was asked about is what goes: a set parked after the question stays.
    const result = await core.collectParked(client, app, {
      all,
      now,
      signal: this.signal,
      ...(shown ? { machines: shown } : {}),
    });
    if (flags.json) this.outJson(result);
    else this.out(gcText(result, this.config.bin));
    for (const { id, reason } of result.failed)
      this.err(`Warning: ${id} was not destroyed: ${reason}`);
    if (result.failed.length > 0) this.exit(1);
  }
}
