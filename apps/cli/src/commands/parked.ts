import { BaseCommand } from "../base-command.js";
import { shortDigest } from "../render/format.js";

export default class Parked extends BaseCommand {
  static override summary = "List the parked previous versions an instant rollback can start.";
  static override description =
    "A bluegreen deploy (and an instant rollback) keeps the machines it replaced parked until their expiry: cordoned, and suspended where Fly allows it (else stopped, without services), billed for rootfs only. `semfly rollback --instant` starts (or resumes) them again; `semfly gc` destroys expired ones.";
  static override examples = ["<%= config.bin %> <%= command.id %> --app acme-web"];
  static override strict = false;

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Parked);
    this.refuseArguments(argv as string[]);
    const core = await this.core();
    const { app, client } = await this.connect(flags);
    const sets = core.parkedSets(
      await client.listMachines(app, { signal: this.signal }),
      this.now(),
    );
    if (flags.json) return this.outJson({ app, sets });
    if (sets.length === 0) {
      this.out(`Nothing is parked on ${app}.`);
      return;
    }
    for (const set of sets) {
      const count = set.machines.length;
      const until = set.expired
        ? `expired ${set.expiresAt} (semfly gc destroys it)`
        : `parked until ${set.expiresAt}`;
      this.out(
        `${set.version ?? "-"} (${shortDigest(set.digest)}): ${count} machine${count === 1 ? "" : "s"} (rootfs cost only), ${until}`,
      );
      for (const m of set.machines)
        this.out(`  ${m.id}  ${m.region}  ${m.processGroup}  ${m.state}`);
    }
  }
}
