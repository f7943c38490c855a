import { Flags } from "@oclif/core";
import type { VersionHistory } from "@semfly/core";
import type { CoreModule } from "../base-command.js";
import { BaseCommand } from "../base-command.js";
import { shortDigest } from "../render/format.js";
import { freezeBanner } from "../render/freeze.js";
import { rollbackableNotes, versionsJson, versionsTable } from "../render/versions.js";
import { loadMarkers } from "../rollbackable-markers.js";

/** Parked previous versions (never the app's machines, so not in the table): what `--instant` can start. */
function parkedLines(core: CoreModule, history: VersionHistory, now: number): string[] {
  const sets = core.parkedSets(
    history.unmanaged.map((u) => u.machine),
    now,
  );
  return sets.map(
    (set) =>
      `Parked: ${set.version ?? "-"} (${shortDigest(set.digest)}), ${set.machines.length} machine${set.machines.length === 1 ? "" : "s"}, ${set.expired ? `expired ${set.expiresAt}` : `parked until ${set.expiresAt}: \`semfly rollback ${set.version ?? set.digest ?? set.set} --instant\` starts them`}`,
  );
}

export default class Versions extends BaseCommand {
  static override summary = "List the app's versions, highest semver first.";
  static override description =
    "Groups Fly releases by the semver of their image (release metadata, image tag or OCI label) and shows each version's status: live, previous, superseded, rolled-back-from, failed, in-progress, or drift (machines run it but no release names it, after `fly image update`). MACHINES counts the machines running each version, marked drift when they are not the live one's. Releases without an image (secrets, scale, restart) belong to the version that was live. Images without a version are listed after, with a null version. IMAGE says whether the version can still be restored: `restorable` (the registry has its digest, or a machine references it), `image gone` (the registry answered 404), `unknown` (nobody could say), `no digest` (Fly no longer knows it), with the age of the answer. Answers are kept by digest (exists for a day, gone for a week, unknown never); at most 20 versions are asked about (the newest of each major.minor line first, then the newest others), 4 at a time; the rest show `-`.";
  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> --app acme-web",
    "<%= config.bin %> <%= command.id %> --json | jq '.[] | select(.current)'",
    "<%= config.bin %> <%= command.id %> --json | jq '.[] | select(.rollbackable.state != \"restorable\") | .version'",
    "<%= config.bin %> <%= command.id %> --no-image-check",
  ];

  static override strict = false;

  static override flags = {
    "image-check": Flags.boolean({
      allowNo: true,
      default: true,
      summary:
        "Ask the registry whether each version's image still exists (IMAGE column); --no-image-check shows only answers already known.",
    }),
  };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Versions);
    this.refuseArguments(argv as string[]);
    const connection = await this.connect(flags);
    const history = await this.loadHistory(connection);
    const markers = await loadMarkers(connection, history, {
      now: this.now(),
      noRequests: !flags["image-check"],
      signal: this.signal,
    });
    if (flags.json) return this.outJson(versionsJson(history, markers));
    const term = this.terminal();
    const freeze = connection.core.historyFreeze(history, this.now());
    this.out(
      [
        ...freezeBanner(freeze, term.colors, this.config.bin),
        versionsTable(history, term, this.now(), markers),
        ...rollbackableNotes(history, markers),
        ...parkedLines(connection.core, history, this.now()),
      ].join("\n"),
    );
  }
}
