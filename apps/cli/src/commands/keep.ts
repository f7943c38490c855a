import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../base-command.js";
import { parseDuration } from "../parse.js";
import { keptText } from "../render/keep.js";

export default class Keep extends BaseCommand {
  static override summary = "Keep a version's image from being pruned, with a parked machine.";
  static override description =
    "Fly's registry keeps images that machines reference. `keep VERSION` creates a stopped machine with no services that references the version's image by digest (never started, no traffic), marked with semfly metadata so status, drift and rollouts leave it out and flyctl deploys do not touch it (no fly_platform_version). Stopped machines are billed for their root filesystem only. `--for 30d` gives the keep an end, after which `semfly gc` destroys the machine; without it the machine stays until `semfly gc --all` (or `fly machine destroy ID`). `--list` shows the kept versions and their ends, as `semfly gc` reads them.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> 3.1.11",
    "<%= config.bin %> <%= command.id %> 3.1.11 --for 720h",
    "<%= config.bin %> <%= command.id %> --list",
    "<%= config.bin %> <%= command.id %> --list --json",
  ];
  static override args = {
    version: Args.string({ description: "The version whose image to keep." }),
  };
  static override flags = {
    list: Flags.boolean({ summary: "List the kept versions instead." }),
    for: Flags.string({
      summary:
        "Keep it this long (e.g. 720h); after that `semfly gc` destroys the machine. Default: no end.",
      helpValue: "<duration>",
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Keep);
    const core = await this.core();
    if (flags.list === (args.version !== undefined)) {
      throw core.inputError(
        "KEEP_ARGUMENTS",
        flags.list ? "--list takes no VERSION." : "No VERSION to keep.",
        `Run \`${this.config.bin} keep VERSION\` or \`${this.config.bin} keep --list\`.`,
      );
    }
    const forMs = flags.for === undefined ? undefined : parseDuration(flags.for);
    if (
      flags.for !== undefined &&
      (forMs === null || forMs === undefined || forMs <= 0 || flags.list)
    ) {
      throw core.inputError(
        "KEEP_FOR",
        flags.list
          ? "--list takes no --for."
          : `--for ${JSON.stringify(flags.for)} is not a positive duration.`,
        "Give a Go-style duration, e.g. --for 720h (30 days) or --for 90m.",
      );
    }
    const connection = await this.connect(flags);
    const { app, client } = connection;
    if (flags.list) {
      const kept = await core.listKeptImages(client, app, this.signal, this.now());
      if (flags.json) return this.outJson({ app, kept });
      this.out(keptText(app, kept, this.config.bin));
      return;
    }
    const history = await this.loadHistory(connection);
    const { kept, created } = await core.keepVersion(client, history, args.version ?? "", {
      signal: this.signal,
      forMs: forMs ?? undefined,
      now: this.now(),
    });
    if (flags.json) return this.outJson({ app, kept, created });
    this.out(
      created
        ? `Kept ${kept.version} on ${app}${kept.expiresAt ? ` until ${kept.expiresAt}` : ""}: stopped machine ${kept.machineId} (${kept.name}) references ${kept.image}.`
        : `${kept.version} is already kept on ${app} by machine ${kept.machineId}.`,
    );
    if (created) this.out(`Undo: fly machine destroy ${kept.machineId} --app ${app}`);
  }
}
