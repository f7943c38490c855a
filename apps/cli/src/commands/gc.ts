import { Flags } from "@oclif/core";
import { BaseCommand } from "../base-command.js";
import { gcText } from "../render/keep.js";

export default class Gc extends BaseCommand {
  static override summary =
    "Destroy parked and kept machines whose time is up (--all: every one semfly parked or kept).";
  static override description =
    "Parked machines (a bluegreen deploy's previous version) are destroyed once their park expires; kept machines (`semfly keep --for`) once their keep does; a kept machine with no end stays until `--all`. Each machine is leased and read back first: only machines semfly parked or kept are destroyed, never an app machine.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> --app acme-web",
    "<%= config.bin %> <%= command.id %> --all",
  ];
  static override strict = false;
  static override flags = {
    all: Flags.boolean({
      summary: "Destroy every parked set and every kept machine, expired or not.",
    }),
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
    else this.out(gcText(result, this.config.bin));
    for (const { id, reason } of result.failed)
      this.err(`Warning: ${id} was not destroyed: ${reason}`);
    if (result.failed.length > 0) this.exit(1);
  }
}
