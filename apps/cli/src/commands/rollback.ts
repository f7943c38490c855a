import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../base-command.js";
import { rolloutChoices, rolloutFlags } from "../rollout-flags.js";
import { runRollout } from "../rollout-runner.js";

export default class Rollback extends BaseCommand {
  static override summary = "Roll the app back to an earlier version.";
  static override description =
    "TARGET is an exact version (3.1.11 or v3.1.11), a range (^3.1, 3.0.x: the highest earlier version that was live), an image digest, or previous (the default). --release N targets a Fly release number instead. The rollout pins the image by digest, leases every machine, records a Fly release and replaces machines batch by batch, waiting for each to start and pass its checks; if one fails, every changed machine is put back. Stopped, suspended and standby machines are updated without being started and stay cold; machines outside Fly Launch management are left alone. The release records the app config (fly.toml) of the current release (with --with-config, the target's). A rollback never runs the release command. Only machine images change (and configs with --with-config): secrets, volumes and databases are not restored.";
  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> 3.1.11 --yes",
    "<%= config.bin %> <%= command.id %> '^3.0' --dry-run",
    "<%= config.bin %> <%= command.id %> --release 27 --strategy canary --wait-timeout 2m",
    "<%= config.bin %> <%= command.id %> previous --yes --json",
  ];
  static override args = {
    target: Args.string({
      description: "A version, a range, an image digest, or previous.",
      default: "previous",
    }),
  };
  static override flags = {
    ...rolloutFlags,
    release: Flags.integer({
      summary: "Roll back to the version of this Fly release number instead of TARGET.",
      helpValue: "<number>",
    }),
    "with-config": Flags.boolean({
      summary: "Also restore each machine's config from when it ran the target.",
    }),
  };

  async run(): Promise<void> {
    const { args, flags, raw } = await this.parse(Rollback);
    const core = await this.core();
    const choices = rolloutChoices(core, flags);
    if (flags.release !== undefined && raw.some((token) => token.type === "arg")) {
      throw core.inputError(
        "TARGET_AND_RELEASE",
        `Both TARGET (${args.target}) and --release ${flags.release} were given.`,
        "Pass either a version or --release N, not both.",
      );
    }
    const connection = await this.connect(flags);
    const { app, client } = connection;
    const prepared = await core.prepareRollback(client, app, {
      history: await this.loadHistory(connection),
      target: flags.release === undefined ? { spec: args.target } : { release: flags.release },
      strategy: choices.strategy,
      ...(choices.maxUnavailable === undefined ? {} : { maxUnavailable: choices.maxUnavailable }),
      withConfig: flags["with-config"],
      reason: choices.reason,
      skipUnreachable: choices.skipUnreachable,
      verifyCold: choices.verifyCold,
      signal: this.signal,
    });
    await runRollout({
      core,
      client,
      bin: this.config.bin,
      flags,
      choices,
      prepared,
      out: (text) => this.out(text),
      err: (text) => this.err(text),
      exit: (code) => this.exit(code),
    });
  }
}
