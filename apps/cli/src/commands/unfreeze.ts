import { currentActor } from "../actor.js";
import { BaseCommand } from "../base-command.js";

export default class Unfreeze extends BaseCommand {
  static override summary = "Lift the app's freeze, so semfly deploys go through again.";
  static override description =
    "Removes the freeze from every app machine that carries it (an expired one too) and records the unfreeze on the current Fly release.";
  static override examples = ["<%= config.bin %> <%= command.id %> --app acme-web"];

  static override strict = false;

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Unfreeze);
    this.refuseArguments(argv as string[]);
    const core = await this.core();
    const connection = await this.connect(flags);
    const history = await this.loadHistory(connection);
    const outcome = await core.unfreezeApp(connection.client, history, {
      by: currentActor(core),
      now: this.now(),
      signal: this.signal,
    });
    if (flags.json) {
      return this.outJson({
        app: connection.app,
        lifted: outcome.lifted,
        machines: outcome.machineIds.length,
        release: outcome.recordedOn,
        warnings: outcome.warnings,
      });
    }
    if (!outcome.lifted) {
      this.out(`${connection.app} is not frozen.`);
      return;
    }
    this.out(
      `Unfroze ${connection.app} on ${outcome.machineIds.length} machine${outcome.machineIds.length === 1 ? "" : "s"} (was frozen ${core.freezeLine(outcome.lifted)}).`,
    );
    for (const warning of outcome.warnings) this.err(`Warning: ${warning}`);
  }
}
