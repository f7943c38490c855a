import { Flags } from "@oclif/core";
import { BaseCommand, type Connection } from "../base-command.js";
import { parseDuration } from "../parse.js";

export default class Mcp extends BaseCommand {
  static override summary =
    "Serve semfly to an AI agent: a Model Context Protocol server on stdio.";
  static override description =
    "Read tools (change nothing): list_versions, status (with drift), diff_versions, show_config, preflight. Change tools, in two steps: plan_rollback, plan_deploy and plan_promote return a plan and a short-lived plan_id bound to it (app, target digest, machines and their config versions, strategy), with how it will run (strategy, wait timeout, lease TTL, revert, the gates of ./semfly.toml, and for a rollback the freeze afterwards); execute_plan runs it once, as `semfly rollback --yes` or `semfly deploy --yes` would, and refuses it if it expired or anything it was bound to changed since. MCP plans always redeploy: a parked set is noted, never started (`semfly rollback --instant` does that). No tool changes an app in one call. Results carry the --json shapes of the matching commands; progress comes as MCP progress notifications, and cancelling execute_plan interrupts the rollout as Ctrl-C does. Token and app resolve as for every command (a tool's `app` argument wins over --app).";
  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> --read-only --app acme-web",
  ];
  static override flags = {
    // Every command takes --json (the base flags); here stdout is MCP's, whatever it says.
    json: Flags.boolean({
      char: "j",
      summary:
        "No effect on the server: stdout is MCP's, and tool results carry the --json shapes as structured content.",
    }),
    "read-only": Flags.boolean({
      summary: "Offer only the read tools: nothing can plan or change a rollout.",
    }),
    "plan-ttl": Flags.string({
      summary: "How long a plan may be executed after it was made, e.g. 5m, 90s.",
      helpValue: "<duration>",
      default: "5m",
    }),
  };

  static override strict = false;

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Mcp);
    this.refuseArguments(argv as string[]);
    const core = await this.core();
    const planTtlMs = parseDuration(flags["plan-ttl"]);
    if (planTtlMs === null || planTtlMs < 1000) {
      throw core.inputError(
        "INVALID_DURATION",
        `--plan-ttl "${flags["plan-ttl"]}" is not a duration of at least one second.`,
        "Write it as flyctl does: 90s, 5m or 1m30s.",
      );
    }
    const [{ StdioServerTransport }, { createSemflyMcpServer }] = await Promise.all([
      import("@modelcontextprotocol/sdk/server/stdio.js"),
      import("../mcp/server.js"),
    ]);
    // One connection per app named, resolved as every command resolves it; a failure is not kept.
    const connections = new Map<string, Promise<Connection>>();
    const connect = (app: string | undefined): Promise<Connection> => {
      const key = app ?? "";
      let connection = connections.get(key);
      if (!connection) {
        connection = this.connect({ app: app ?? flags.app, "access-token": flags["access-token"] });
        connection.catch(() => connections.delete(key));
        connections.set(key, connection);
      }
      return connection;
    };
    const shutdown = new AbortController();
    const { server, drain } = createSemflyMcpServer({
      core,
      bin: this.config.bin,
      version: this.config.version,
      readOnly: flags["read-only"],
      planTtlMs,
      connect,
      now: () => this.now(),
      shutdown: shutdown.signal,
    });
    // stdout is the protocol's from here on: nothing else may write to it.
    const transport = new StdioServerTransport();
    const ended = new Promise<string>((resolve) => {
      process.stdin.once("end", () => resolve("the client closed stdin"));
      process.once("SIGINT", () => resolve("SIGINT"));
      process.once("SIGTERM", () => resolve("SIGTERM"));
      server.server.onclose = () => resolve("the transport closed");
    });
    await server.connect(transport);
    await ended;
    // As a first Ctrl-C: rollouts in flight stop starting machines, finish, and give back their leases.
    shutdown.abort();
    process.once("SIGINT", () => process.exit(130));
    await drain();
    await server.close();
  }
}
