import { BaseCommand } from "../base-command.js";
import { versionsJson, versionsTable } from "../render/versions.js";

export default class Versions extends BaseCommand {
  static override summary = "List the app's versions, highest semver first.";
  static override description =
    "Groups Fly releases by the semver of their image (release metadata, image tag or OCI label) and shows each version's status: live, previous, superseded, rolled-back-from, failed, in-progress, or drift (machines run it but no release names it, after `fly image update`). MACHINES counts the machines running each version, marked drift when they are not the live one's. Releases without an image (secrets, scale, restart) belong to the version that was live. Images without a version are listed after, with a null version.";
  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> --app acme-web",
    "<%= config.bin %> <%= command.id %> --json | jq '.[] | select(.current)'",
  ];

  static override strict = false;

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Versions);
    this.refuseArguments(argv as string[]);
    const history = await this.loadHistory(await this.connect(flags));
    if (flags.json) return this.outJson(versionsJson(history));
    this.out(versionsTable(history, this.terminal(), this.now()));
  }
}
