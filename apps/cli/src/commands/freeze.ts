import { Flags } from "@oclif/core";
import { currentActor } from "../actor.js";
import { BaseCommand } from "../base-command.js";
import { freezeJson } from "../render/freeze.js";

export default class Freeze extends BaseCommand {
  static override summary =
    "Stop semfly deploys to the app until it is unfrozen or the freeze expires.";
  static override description =
    "Records who, why, until when and the live version on every app machine (machine metadata) and on the current Fly release, so every semfly client and the GitHub Action see it with no server of ours. While frozen, `semfly deploy` refuses unless --unfreeze. A plain `fly deploy` is not stopped: a freeze only binds semfly.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> --reason 'orders fail on 3.1.12' --until 2h",
    "<%= config.bin %> <%= command.id %> --reason 'release freeze' --until 2025-12-27T09:00:00Z",
  ];
  static override flags = {
    reason: Flags.string({
      summary: "Why: shown to whoever tries to deploy.",
      helpValue: "<text>",
    }),
    until: Flags.string({
      summary:
        "When it ends by itself: a duration (90m, 2h, 1d) or an RFC 3339 time. Default: never.",
      helpValue: "<duration|time>",
    }),
  };

  static override strict = false;

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Freeze);
    this.refuseArguments(argv as string[]);
    const core = await this.core();
    const now = this.now();
    // Checked before anything is fetched: bad input never costs a request.
    const draft = core.newFreeze({
      by: currentActor(core),
      reason: flags.reason,
      until: flags.until,
      holds: null,
      now,
    });
    const connection = await this.connect(flags);
    const history = await this.loadHistory(connection);
    const live = history.live;
    const freeze = {
      ...draft,
      holds: live ? { version: live.version, digest: live.digest } : null,
    };
    const outcome = await core.freezeApp(connection.client, history, freeze, {
      signal: this.signal,
    });
    const undo = `${this.config.bin} unfreeze --app ${connection.app}`;
    if (flags.json) {
      return this.outJson({
        app: connection.app,
        freeze: freezeJson({
          freeze,
          expired: false,
          machineIds: outcome.machineIds,
          machineCount: history.machines.length,
          holdsLive: freeze.holds ? true : null,
        }),
        release: outcome.recordedOn,
        warnings: outcome.warnings,
        undo,
      });
    }
    const held = freeze.holds?.version ?? freeze.holds?.digest;
    this.out(
      `Froze ${connection.app} ${core.freezeLine(freeze)}\n  Deploys are refused${held ? ` (holding ${held})` : ""} on ${outcome.machineIds.length} machine${outcome.machineIds.length === 1 ? "" : "s"}${outcome.recordedOn === null ? "" : `; recorded on release v${outcome.recordedOn}`}.`,
    );
    for (const warning of outcome.warnings) this.err(`Warning: ${warning}`);
    this.out(`Undo: ${undo}`);
  }
}
