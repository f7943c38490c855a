import { BaseCommand } from "../base-command.js";
import { freezeBanner, freezeJson } from "../render/freeze.js";
import { statusJson, statusText } from "../render/status.js";

export default class Status extends BaseCommand {
  static override summary = "Show which version each machine runs.";
  static override description =
    "Lists the app's machines with the version and image digest each one runs. The app's version is null (shown as mixed) when machines disagree, for example after an interrupted rollout.";
  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> --app acme-web --json",
  ];

  static override strict = false;

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Status);
    this.refuseArguments(argv as string[]);
    const connection = await this.connect(flags);
    const history = await this.loadHistory(connection);
    const freeze = connection.core.historyFreeze(history, this.now());
    if (flags.json) return this.outJson({ ...statusJson(history), freeze: freezeJson(freeze) });
    const term = this.terminal();
    this.out(
      [...freezeBanner(freeze, term.colors, this.config.bin), statusText(history, term)].join("\n"),
    );
  }
}
