import { BaseCommand } from "../base-command.js";
import { freezeBanner, freezeJson } from "../render/freeze.js";
import { statusJson, statusText } from "../render/status.js";

export default class Status extends BaseCommand {
  static override summary = "Show which version each machine runs.";
  static override description =
    "Lists the app's machines with the version and image digest each one runs. The app's version is null (shown as mixed) when machines disagree, for example after an interrupted rollout or `fly machine update --image`; `--json` carries the drift as data in `groups` (per process group and region, what each set of machines runs). Reads the machines and only the releases they run.";
  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> --app acme-web --json",
  ];

  static override strict = false;

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Status);
    this.refuseArguments(argv as string[]);
    const { core, client, app } = await this.connect(flags);
    // The machines and only the releases they run: a few requests, whatever the history's length.
    const status = await core.loadAppStatus(client, app, { signal: this.signal });
    // The freeze is read from the same machines' metadata: no request of its own.
    const freeze = core.historyFreeze(status, this.now());
    if (flags.json) return this.outJson({ ...statusJson(status), freeze: freezeJson(freeze) });
    const term = this.terminal();
    this.out(
      [...freezeBanner(freeze, term.colors, this.config.bin), statusText(status, term)].join("\n"),
    );
  }
}
