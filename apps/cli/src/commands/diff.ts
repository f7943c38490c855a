import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../base-command.js";
import { diffJson, diffText } from "../render/diff.js";

export default class Diff extends BaseCommand {
  static override summary =
    "Compare two versions: image, labels, commits, machine config, releases.";
  static override description =
    "Shows the image digests, OCI labels (with the commit range and a compare link when the images carry org.opencontainers.image.source and .revision), the machine config differences (from the machines' version history) and the Fly releases between A and B. B defaults to the live version. A and B may be versions, ranges (the highest deployed match), live, previous or an image digest.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> 3.1.11",
    "<%= config.bin %> <%= command.id %> 3.1.10 3.1.12 --app acme-web",
    "<%= config.bin %> <%= command.id %> previous --json",
    "<%= config.bin %> <%= command.id %> --app acme-web --against acme-web-staging",
  ];
  static override flags = {
    against: Flags.string({
      summary:
        "Compare the app's live version with this app's live version instead (two stages): versions, digests, labels, commits, config.",
      helpValue: "<app>",
    }),
  };
  static override args = {
    // Not `required`: oclif's "Missing 1 required arg: a" names the argument by its code name.
    a: Args.string({ description: "The version to compare from." }),
    b: Args.string({ description: "The version to compare to (default: the live version)." }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Diff);
    if (flags.against !== undefined) return this.againstStage(flags.against, args, flags);
    if (args.a === undefined) {
      const core = await this.core();
      throw core.inputError(
        "VERSION_MISSING",
        "No version to compare was given.",
        `Pass one version to compare with the live one (\`${this.config.bin} diff 3.1.11\`), two to compare them with each other (\`${this.config.bin} diff 3.1.10 3.1.12\`), or previous.`,
      );
    }
    const connection = await this.connect(flags);
    const { core, app, client } = connection;
    const diff = await core.loadVersionDiff(client, app, {
      a: args.a,
      b: args.b,
      history: await this.loadHistory(connection),
      signal: this.signal,
    });
    if (flags.json) return this.outJson(diffJson(diff));
    this.out(diffText(diff, this.terminal(), this.now()));
  }

  private async againstStage(
    against: string,
    args: { a?: string | undefined },
    flags: { app?: string | undefined; "access-token"?: string | undefined; json: boolean },
  ): Promise<void> {
    const connection = await this.connect(flags);
    const { core, app, client } = connection;
    if (args.a !== undefined) {
      throw core.inputError(
        "DIFF_AGAINST_AND_VERSION",
        `--against ${against} compares live versions; ${core.quote(args.a)} was given too.`,
        `Run \`${this.config.bin} diff --app ${app} --against ${against}\` without versions.`,
      );
    }
    const diff = await core.loadStageDiff(client, app, against, {
      history: await this.loadHistory(connection),
      signal: this.signal,
    });
    if (flags.json) {
      return this.outJson({
        ...diffJson(diff),
        against,
        a: { app, ...diff.a },
        b: { app: against, ...diff.b },
      });
    }
    this.out(`${app} against ${against}, their live versions:`);
    this.out(diffText(diff, this.terminal(), this.now(), { releases: false }));
  }
}
