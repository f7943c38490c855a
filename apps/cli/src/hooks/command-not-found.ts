import type { Hook } from "@oclif/core";
import { closestCommand } from "../did-you-mean.js";
import { terminalOf } from "../render/terminal.js";

/**
 * `semfly rollbak`: one line on stderr naming the closest command, exit 2 (bad input), and nothing run.
 * Our own hook instead of @oclif/plugin-not-found: that one exits 127 and, on a terminal, offers to run
 * its guess, which for `rollbak 3.1.11 --yes` would start a rollback the user never typed.
 */
const hook: Hook.CommandNotFound = async function (options) {
  const bin = options.config.bin;
  // With spaces between topics oclif joins the words before the first flag (`rollbak:3.1.11`); semfly's
  // commands are single words, so the first one is what was mistyped.
  const typed = options.id.split(":")[0] ?? options.id;
  const visible = options.config.commands.filter((c) => !c.hidden);
  const ids = [...visible.map((c) => c.id), ...visible.flatMap((c) => c.aliases)];
  const guess = closestCommand(typed, ids);
  const message = `${JSON.stringify(typed)} is not a ${bin} command.${guess ? ` Did you mean ${guess.split(":").join(" ")}?` : ""}`;
  const suggestion = `Run \`${bin} help\` for the list of commands.`;
  const colors = terminalOf(process.stderr).colors;
  process.stderr.write(`${colors.red(`Error: ${message}`)}\n  ${suggestion}\n`);
  const argv = options.argv ?? [];
  if (argv.includes("--json") || argv.includes("-j")) {
    const error = { code: "UNKNOWN_COMMAND", message, suggestion };
    process.stdout.write(`${JSON.stringify({ error }, null, 2)}\n`);
  }
  this.exit(2);
};

export default hook;
