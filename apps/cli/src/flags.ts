import { Flags } from "@oclif/core";

/** Flags every command takes, spelled the same everywhere (BaseCommand's `baseFlags`). */
export const sharedFlags = {
  app: Flags.string({
    char: "a",
    summary: "Fly app name (default: FLY_APP, then `app` in ./fly.toml).",
    helpValue: "<name>",
  }),
  json: Flags.boolean({
    char: "j",
    summary: "Print JSON on stdout and nothing else (progress and errors go to stderr).",
  }),
  "access-token": Flags.string({
    char: "t",
    summary: "Fly API token (default: FLY_ACCESS_TOKEN, FLY_API_TOKEN, then ~/.fly/config.yml).",
    helpValue: "<token>",
  }),
  verbose: Flags.boolean({
    summary: "Log every request to stderr and show stack traces (also DEBUG=semfly*).",
  }),
};

/**
 * --json and --verbose read from argv before oclif parses it, so that errors while parsing flags already
 * follow them. Nothing after `--` counts.
 */
export function outputModes(argv: readonly string[]): { json: boolean; verbose: boolean } {
  const end = argv.indexOf("--");
  const flags = end === -1 ? argv : argv.slice(0, end);
  return {
    json: flags.includes("--json") || flags.includes("-j"),
    verbose: flags.includes("--verbose"),
  };
}
