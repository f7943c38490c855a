import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Config } from "@oclif/core";
import { describe, expect, it } from "vitest";
import { CLI_ROOT } from "../helpers.js";

const run = (...args: string[]) =>
  promisify(execFile)(process.execPath, [`${CLI_ROOT}/bin/run.js`, ...args], {
    env: { ...process.env, NO_COLOR: "1", COLUMNS: "100" },
  });

/** Like `run`, for a command that may fail: its output and exit code instead of a rejection. */
async function runToExit(
  ...args: string[]
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  try {
    const { stdout, stderr } = await run(...args);
    return { stdout, stderr, exitCode: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, exitCode: failed.code };
  }
}

describe("the command line", () => {
  it("gives every command a summary and examples that use the binary's name", async () => {
    const config = await Config.load(CLI_ROOT);
    const ours = config.commands.filter((c) => c.pluginName === "semfly");
    expect(ours.map((c) => c.id).sort()).toEqual([
      "config",
      "deploy",
      "diff",
      "freeze",
      "gc",
      "keep",
      "mcp",
      "parked",
      "promote",
      "releases",
      "rollback",
      "status",
      "unfreeze",
      "verify",
      "versions",
    ]);
    for (const command of ours) {
      expect(command.summary, command.id).toBeTruthy();
      expect(command.examples?.length, command.id).toBeGreaterThan(0);
      for (const example of command.examples ?? []) {
        expect(String(example)).toMatch(/^<%= config\.bin %> <%= command\.id %>/);
      }
      for (const flag of ["app", "json", "access-token", "verbose"]) {
        expect(Object.keys(command.flags), command.id).toContain(flag);
      }
    }
    expect(config.plugins.has("@oclif/plugin-help")).toBe(true);
    expect(config.plugins.has("@oclif/plugin-autocomplete")).toBe(true);
  });

  it.each([
    [
      ["rollbak", "3.1.11", "--yes"],
      'Error: "rollbak" is not a semfly command. Did you mean rollback?',
    ],
    [["verions"], 'Error: "verions" is not a semfly command. Did you mean versions?'],
    [["frobnicate"], 'Error: "frobnicate" is not a semfly command.'],
  ])("refuses the mistyped command %j with exit 2, naming the closest one", async (args, line) => {
    const { stdout, stderr, exitCode } = await runToExit(...args);
    expect(exitCode).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(`${line}\n  Run \`semfly help\` for the list of commands.\n`);
  });

  it("with --json, a mistyped command also puts its error on stdout", async () => {
    const { stdout, exitCode } = await runToExit("stauts", "--json");
    expect(exitCode).toBe(2);
    expect(JSON.parse(stdout)).toEqual({
      error: {
        code: "UNKNOWN_COMMAND",
        message: '"stauts" is not a semfly command. Did you mean status?',
        suggestion: "Run `semfly help` for the list of commands.",
      },
    });
  });

  it("prints help with the examples", async () => {
    const { stdout } = await run("rollback", "--help");
    expect(stdout).toContain("$ semfly rollback 3.1.11 --yes");
    expect(stdout).toContain("--strategy=rolling|canary|immediate");
  });

  it("answers --version without loading oclif, exactly as oclif would", async () => {
    const config = await Config.load(CLI_ROOT);
    expect((await run("--version")).stdout).toBe(`${config.userAgent}\n`);
    expect((await run("-v")).stdout).toBe(`${config.userAgent}\n`);
  });

  it("exits 2 with one line for an unknown flag when run as a binary", async () => {
    const error = await run("versions", "--nope").catch(
      (e: { code: number; stderr: string; stdout: string }) => e,
    );
    expect(error).toMatchObject({ code: 2, stdout: "" });
    expect((error as { stderr: string }).stderr).toBe(
      "Error: Nonexistent flag: --nope\n  See `semfly versions --help`.\n",
    );
  });
});
