import { Flags } from "@oclif/core";
import { BaseCommand } from "../base-command.js";
import { verifyText } from "../render/verify.js";

export default class Verify extends BaseCommand {
  static override summary =
    "Check that what is live now serves: Fly's checks, probes and metric gates.";
  static override description =
    "Judges the live machines without changing anything: every started machine's Fly health checks pass, every machine runs the same image, and each --probe and --gate (or those in semfly.toml's [verify] section) holds. A gate with too little data waits up to its own limit and says so. Exits 0 when every gate passes, 1 when one fails. For a CI step after a plain `fly deploy`.";
  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> --probe https://acme-web.fly.dev/healthz",
    `<%= config.bin %> <%= command.id %> --gate 'sum(rate(fly_app_http_responses_count{app="$APP",status=~"5.."}[1m])) or vector(0) < 1' --json`,
    "<%= config.bin %> <%= command.id %> --bake 5m",
  ];
  static override flags = {
    probe: Flags.string({
      summary:
        "GET this URL and expect 2xx: URL [status=2xx] [body=TEXT] [timeout=5s] [per-machine].",
      multiple: true,
      helpValue: "<url>",
    }),
    gate: Flags.string({
      summary: "A PromQL gate, 'QUERY <op> NUMBER', with $APP and $MACHINES substituted.",
      multiple: true,
      helpValue: "<expr>",
    }),
    bake: Flags.string({
      summary: "Keep judging every gate for this long (e.g. 5m) before passing.",
      helpValue: "<duration>",
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Verify);
    const core = await this.core();
    const gates = core.mergeGateFlags(await core.loadGateFile(process.cwd()), flags);
    const connection = await this.connect(flags);
    const report = await core.verifyLive(connection.client, connection.app, gates, {
      signal: this.signal,
    });
    if (flags.json) this.outJson(report);
    else this.out(verifyText(report, this.terminal()));
    if (report.status === "pass") return;
    const reason =
      report.status === "fail" && report.failed
        ? `${report.failed.name}: ${report.failed.detail}`
        : "Interrupted before every gate was judged.";
    this.err(`Error: ${connection.app} does not verify. ${reason}`);
    this.exit(1);
  }
}
