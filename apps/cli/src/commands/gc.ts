import { Flags } from "@oclif/core";
import { BaseCommand } from "../base-command.js";

export default class Gc extends BaseCommand {
  static override summary =
    "Destroy parked machines whose time is up (--all: every parked machine).";
  static override description =
    "Each machine is leased and read back first: only machines parked by semfly are destroyed, never an app machine.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> --app acme-web",
    "<%= config.bin %> <%= command.id %> --all",
  ];
  static override strict = false;
  static override flags = {
    all: Flags.boolean({ summary: "Destroy every parked set, expired or not." }),
  };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Gc);
    this.refuseArguments(argv as string[]);
    const core = await this.core();
    const { app, client } = await this.connect(flags);
    const result = await core.collectParked(client, app, {
      all: flags.all,
      now: this.now(),
      signal: this.signal,
    });
    if (flags.json) this.outJson(result);
    else {
      const n = result.destroyed.length;
      this.out(`Destroyed ${n} parked machine${n === 1 ? "" : "s"} of ${app}.`);
      for (const set of result.kept) {
        this.out(
          `Kept ${set.version ?? set.digest} (${set.machines.length} machines), parked until ${set.expiresAt}.`,
        );
      }
    }
    for (const { id, reason } of result.failed)
      this.err(`Warning: ${id} was not destroyed: ${reason}`);
    if (result.failed.length > 0) this.exit(1);
  }
}
