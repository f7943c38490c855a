import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../base-command.js";
import { historyForDeploy } from "../deploy-freeze.js";
import { rolloutChoices, rolloutFlags } from "../rollout-flags.js";
import { runRollout } from "../rollout-runner.js";

export default class Promote extends BaseCommand {
  static override summary = "Deploy the exact image a staging app ran healthy into another app.";
  static override description =
    "Resolves VERSION in STAGING_APP's history to its image digest, requires that it is or was live there with its release complete (--force skips this), refuses apps of another organisation (Fly's registry is per organisation), then deploys that digest into the target app (--to, else --app, FLY_APP or fly.toml) with the deploy engine: strategies, guards and freeze apply. The release records promotedFrom (app, release, digest).";
  static override examples = [
    "<%= config.bin %> <%= command.id %> 3.2.0 --from acme-web-staging --to acme-web --dry-run",
    "<%= config.bin %> <%= command.id %> 3.2.0 --from acme-web-staging --to acme-web --yes",
    "<%= config.bin %> <%= command.id %> 3.2.0 --from acme-web-staging --strategy canary",
  ];
  static override args = {
    version: Args.string({ description: "The version in the staging app.", required: true }),
  };
  static override flags = {
    ...rolloutFlags,
    from: Flags.string({
      summary: "The staging app the version ran in.",
      helpValue: "<app>",
      required: true,
    }),
    to: Flags.string({
      summary: "The app to promote into (default: --app, FLY_APP, then fly.toml).",
      helpValue: "<app>",
    }),
    force: Flags.boolean({
      summary: "Promote even if the version never went live and healthy in staging.",
    }),
    "allow-downgrade": Flags.boolean({
      summary: "Allow VERSION to be lower than the target's live version.",
    }),
    unfreeze: Flags.boolean({
      summary: "Promote even though the target app is frozen, lifting the freeze first.",
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Promote);
    const core = await this.core();
    const choices = rolloutChoices(core, flags);
    const connection = await this.connect({ ...flags, app: flags.to ?? flags.app });
    const { app, client } = connection;
    if (app === flags.from) {
      throw core.inputError(
        "PROMOTE_SAME_APP",
        `--from ${flags.from} is the app to promote into.`,
        "Name the staging app with --from and the target with --to.",
      );
    }
    const source = await core.resolvePromoteSource(client, {
      from: flags.from,
      to: app,
      version: args.version,
      force: flags.force,
      signal: this.signal,
    });
    const history = await historyForDeploy({
      core,
      client,
      app,
      history: await this.loadHistory(connection),
      unfreeze: flags.unfreeze,
      dryRun: flags["dry-run"],
      now: this.now(),
      signal: this.signal,
      reload: () => this.loadHistory(connection),
      err: (text) => this.err(text),
    });
    const prepared = await core.preparePromote(client, source, {
      to: app,
      history,
      allowDowngrade: flags["allow-downgrade"],
      registry: connection.registry,
      strategy: choices.strategy,
      ...(choices.maxUnavailable === undefined ? {} : { maxUnavailable: choices.maxUnavailable }),
      reason: choices.reason,
      skipUnreachable: choices.skipUnreachable,
      verifyCold: choices.verifyCold,
      signal: this.signal,
    });
    if (!flags.json) {
      const release = source.promotedFrom.release;
      this.out(
        `Promoting ${source.entry.version} from ${flags.from}${release ? ` (release v${release})` : ""}: ${source.imageRef}`,
      );
    }
    await runRollout({
      core,
      client,
      bin: this.config.bin,
      flags,
      choices,
      prepared,
      registry: connection.registry,
      out: (text) => this.out(text),
      err: (text) => this.err(text),
      exit: (code) => this.exit(code),
      signal: this.signal,
    });
  }
}
