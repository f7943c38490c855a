import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../base-command.js";
import { historyForDeploy } from "../deploy-freeze.js";
import { rolloutChoices, rolloutFlags } from "../rollout-flags.js";
import { runRollout } from "../rollout-runner.js";

export default class Deploy extends BaseCommand {
  static override summary = "Deploy an image as a new version, with the rollback engine.";
  static override description =
    "Resolves REF in Fly's registry, pins it by digest and rolls it out as VERSION with the same engine, flags and output as rollback. A version is immutable: VERSION may not name another image than the one it was deployed as, and a build of it (VERSION+build) may not be a second image of the same semver precedence; neither can be overridden. An image whose own tag or org.opencontainers.image.version label names another version is refused unless --force-version. Deploying a version lower than the live one needs --allow-downgrade (or use rollback). When the app config has deploy.release_command, it runs first on a one-off machine with the new image, as flyctl runs it; the deploy stops, changing no machine, if it fails.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> 3.2.0 --image registry.fly.io/acme-web:3.2.0 --yes",
    "<%= config.bin %> <%= command.id %> 3.2.0 --image registry.fly.io/acme-web:3.2.0 --dry-run",
    "<%= config.bin %> <%= command.id %> 3.2.0 --image registry.fly.io/acme-web:3.2.0 --strategy canary",
    "<%= config.bin %> <%= command.id %> 3.2.0 --image ghcr.io/acme/web:3.2.0 --push --yes",
  ];
  static override args = {
    version: Args.string({ description: "The semver version the image is.", required: true }),
  };
  static override flags = {
    ...rolloutFlags,
    image: Flags.string({
      char: "i",
      summary: "The image to deploy, e.g. registry.fly.io/acme-web:3.2.0.",
      helpValue: "<ref>",
      required: true,
    }),
    "allow-downgrade": Flags.boolean({
      summary: "Allow VERSION to be lower than the live version.",
    }),
    "force-version": Flags.boolean({
      summary:
        "Deploy as VERSION even though the image's own tag or org.opencontainers.image.version label names another version.",
    }),
    push: Flags.boolean({
      summary:
        "Copy an image from another registry (Docker Hub, GHCR, …) to registry.fly.io/<app> first: Fly machines cannot pull private images from elsewhere.",
    }),
    unfreeze: Flags.boolean({
      summary: "Deploy even though the app is frozen, lifting the freeze first.",
    }),
    "skip-release-command": Flags.boolean({
      summary: "Do not run the app config's deploy.release_command before the machines change.",
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Deploy);
    const core = await this.core();
    const choices = rolloutChoices(core, flags);
    core.checkDeployArguments(args.version, flags.image);
    const connection = await this.connect(flags);
    const { app, client } = connection;
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
    const prepared = await core.prepareDeploy(client, app, {
      history,
      version: args.version,
      imageRef: flags.image,
      allowDowngrade: flags["allow-downgrade"],
      forceVersion: flags["force-version"],
      registry: connection.registry,
      push: flags.push,
      skipReleaseCommand: flags["skip-release-command"],
      skipUnreachable: choices.skipUnreachable,
      verifyCold: choices.verifyCold,
      strategy: choices.strategy,
      ...(choices.maxUnavailable === undefined ? {} : { maxUnavailable: choices.maxUnavailable }),
      reason: choices.reason,
      signal: this.signal,
    });
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
    });
  }
}
