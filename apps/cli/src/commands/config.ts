import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../base-command.js";
import { configJson, configText } from "../render/config.js";

export default class ConfigCommand extends BaseCommand {
  static override summary = "Print the fly.toml a version was deployed with.";
  static override description =
    "Reads the app config Fly recorded with the version's deploy release (GraphQL Release.config.definition; the oldest completed release of the version) and prints it as TOML, or with --json as JSON. --release N prints the app config of that Fly release instead. VERSION may be a version, a range (the highest deployed match), live, previous or an image digest.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> 3.1.11",
    "<%= config.bin %> <%= command.id %> live --app acme-web > fly.toml",
    "<%= config.bin %> <%= command.id %> --release 27 --json",
  ];
  static override args = {
    version: Args.string({ description: "The version whose fly.toml to print (default: live)." }),
  };
  static override flags = {
    release: Flags.string({
      summary: "Print the app config of this Fly release instead of VERSION's: 27 or v27.",
      helpValue: "<number>",
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConfigCommand);
    const core = await this.core();
    const release =
      flags.release === undefined ? undefined : core.parseReleaseNumber(flags.release);
    if (release !== undefined && args.version !== undefined) {
      throw core.inputError(
        "TARGET_AND_RELEASE",
        `Both VERSION (${args.version}) and --release ${release} were given.`,
        "Pass either a version or --release N, not both.",
      );
    }
    const connection = await this.connect(flags);
    const config = await core.loadVersionConfig(
      connection.client,
      await this.loadHistory(connection),
      release === undefined ? { spec: args.version ?? "live" } : { release },
      this.signal,
    );
    if (flags.json) return this.outJson(configJson(config));
    this.out(configText(config, core.appConfigToml(config.definition)));
  }
}
