import { BaseCommand } from "../base-command.js";
import { releasesJson, releasesTable } from "../render/releases.js";

export default class Releases extends BaseCommand {
  static override summary = "List Fly's releases with the version each one ran.";
  static override description =
    "Every Fly release of the app, highest release number first, with the semver version Fly does not show: the version that was live after the release, or the one a failed deploy tried to ship.";
  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> --app acme-web --json",
  ];

  static override strict = false;

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Releases);
    this.refuseArguments(argv as string[]);
    const history = await this.loadHistory(await this.connect(flags));
    if (flags.json) return this.outJson(releasesJson(history));
    this.out(releasesTable(history, this.terminal(), this.now()));
  }
}
