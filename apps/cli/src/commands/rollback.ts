import { Args, Flags } from "@oclif/core";
import type { RolloutResult } from "@semfly/core";
import { BaseCommand } from "../base-command.js";
import { runInstant } from "../instant-runner.js";
import { freezeAfterRollback } from "../rollback-freeze.js";
import { rolloutChoices, rolloutFlags } from "../rollout-flags.js";
import { runRollout } from "../rollout-runner.js";

export default class Rollback extends BaseCommand {
  static override summary = "Roll the app back to an earlier version.";
  static override description =
    "TARGET is an exact version (3.1.11 or v3.1.11), a range (^3.1, 3.0.x: the highest earlier version that was live), an image digest, or previous (the default). --release N (or v27, as Fly writes it) targets a Fly release number instead; a bare v27 is read as release 27 too, unless the app also has versions 27.x, when semfly asks which one is meant. The rollout pins the image by digest, leases every machine, records a Fly release and replaces machines batch by batch, waiting for each to start and pass its checks; if one fails, every changed machine is put back. Stopped, suspended and standby machines are updated without being started and stay cold; machines outside Fly Launch management are left alone. The release records the app config (fly.toml) of the current release (with --with-config, the target's). A rollback never runs the release command. Only machine images change (and configs with --with-config): secrets, volumes and databases are not restored.";
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
    release: Flags.string({
      summary: "Roll back to the version of this Fly release instead of TARGET: 27 or v27.",
      helpValue: "<number>",
    }),
    "with-config": Flags.boolean({
      summary: "Also restore each machine's config from when it ran the target.",
    }),
    instant: Flags.boolean({
      summary:
        "Start the parked machines of the target (kept by a bluegreen deploy) instead of redeploying; the default when the target is parked (--no-instant redeploys).",
      allowNo: true,
    }),
    freeze: Flags.boolean({
      summary:
        "Freeze the app after the rollback, with its reason, so deploys are refused until unfrozen (--no-freeze skips it).",
      allowNo: true,
      default: true,
    }),
  };

  async run(): Promise<void> {
    const { args, flags, raw } = await this.parse(Rollback);
    const core = await this.core();
    const choices = rolloutChoices(core, flags);
    const release =
      flags.release === undefined ? undefined : core.parseReleaseNumber(flags.release);
    if (release !== undefined && raw.some((token) => token.type === "arg")) {
      throw core.inputError(
        "TARGET_AND_RELEASE",
        `Both TARGET (${args.target}) and --release ${release} were given.`,
        "Pass either a version or --release N, not both.",
      );
    }
    const connection = await this.connect(flags);
    const { app, client } = connection;
    const tryInstant = flags.instant !== false && !flags["with-config"];
    const history = await this.loadHistory(connection);
    // Parked machines are in the history's listing already (as not managed): no listing of their own.
    const machines = tryInstant
      ? [...history.machines.map((i) => i.machine), ...history.unmanaged.map((u) => u.machine)]
      : [];
    // `previous` with a parked set is that set: the version a bluegreen deploy just replaced.
    const parked = tryInstant ? core.parkedPreviousDigest(history, this.now()) : null;
    const spec =
      parked && release === undefined && !raw.some((token) => token.type === "arg")
        ? parked
        : args.target;
    const prepared = await core.prepareRollback(client, app, {
      history,
      target: release === undefined ? { spec } : { release },
      strategy: choices.strategy,
      ...(choices.maxUnavailable === undefined ? {} : { maxUnavailable: choices.maxUnavailable }),
      withConfig: flags["with-config"],
      reason: choices.reason,
      skipUnreachable: choices.skipUnreachable,
      verifyCold: choices.verifyCold,
      signal: this.signal,
    });
    // The freeze goes on the machines that serve after the rollback: the history is read again, since an
    // instant or bluegreen rollback serves from machines the plan never listed.
    const afterComplete = flags.freeze
      ? async (result: Pick<RolloutResult, "from" | "to">) =>
          freezeAfterRollback({
            core,
            client,
            prepared: { ...prepared, history: await this.loadHistory(connection) },
            result,
            reason: choices.reason,
            now: this.now(),
            bin: this.config.bin,
            signal: this.signal,
          })
      : undefined;
    if (tryInstant) {
      const set = core.parkedSetFor(prepared.plan, machines, this.now());
      const mode = core.chooseRollbackMode({
        parked: set !== null,
        asked: flags.instant,
        gates: core.mergeGateFlags(await core.loadGateFile(process.cwd()), choices.gateFlags),
      });
      if (set && mode === "redeploy") {
        this.err(
          "Note: the target is parked, but gates judge this rollback, so it redeploys (an instant rollback waits for Fly's checks only).",
        );
      }
      if (mode === "instant") {
        if (!set) throw core.notParkedError(prepared.plan);
        return runInstant({
          core,
          client,
          flags,
          choices,
          prepared,
          set: set!,
          machines,
          signal: this.signal,
          out: (text) => this.out(text),
          err: (text) => this.err(text),
          exit: (code) => this.exit(code),
          afterComplete,
        });
      }
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
      afterComplete,
    });
    if (flags["dry-run"] && flags.freeze && !flags.json) {
      this.out(
        "The rollback would then freeze the app, so deploys are refused (--no-freeze skips it).",
      );
    }
  }
}
