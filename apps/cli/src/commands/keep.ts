import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../base-command.js";
import { keptText } from "../render/keep.js";

export default class Keep extends BaseCommand {
  static override summary = "Keep a version's image from being pruned, with a parked machine.";
  static override description =
    "Fly's registry keeps images that machines reference. `keep VERSION` creates a stopped machine with no services that references the version's image by digest (never started, no traffic), marked with semfly metadata so status, drift and rollouts leave it out and flyctl deploys do not touch it (no fly_platform_version). Stopped machines are billed for their root filesystem only. `--list` shows the kept versions; destroy a kept machine with `fly machine destroy ID` to let its image go.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> 3.1.11",
    "<%= config.bin %> <%= command.id %> --list",
    "<%= config.bin %> <%= command.id %> --list --json",
  ];
  static override args = {
    version: Args.string({ description: "The version whose image to keep." }),
  };
  static override flags = {
    list: Flags.boolean({ summary: "List the kept versions instead." }),
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
    const connection = await this.connect(flags);
    const { app, client } = connection;
    if (flags.list) {
      const kept = await core.listKeptImages(client, app, this.signal);
      if (flags.json) return this.outJson({ app, kept });
      this.out(keptText(app, kept));
      return;
    }
    const history = await this.loadHistory(connection);
    const { kept, created } = await core.keepVersion(
      client,
      history,
      args.version ?? "",
      this.signal,
    );
    if (flags.json) return this.outJson({ app, kept, created });
    this.out(
      created
        ? `Kept ${kept.version} on ${app}: stopped machine ${kept.machineId} (${kept.name}) references ${kept.image}.`
        : `${kept.version} is already kept on ${app} by machine ${kept.machineId}.`,
    );
    if (created) this.out(`Undo: fly machine destroy ${kept.machineId} --app ${app}`);
  }
}
