import { Errors } from "@oclif/core";
import { stripAnsi } from "./render/color.js";

export interface DescribedError {
  code: string;
  message: string;
  suggestion: string | null;
  exitCode: number;
}

interface SemflyLike {
  name: string;
  code: string;
  message: string;
  suggestion?: string | undefined;
  exitCode: number;
}

function isSemflyLike(error: unknown): error is SemflyLike {
  return (
    error instanceof Error &&
    error.name === "SemflyError" &&
    typeof (error as { exitCode?: unknown }).exitCode === "number"
  );
}

/** oclif's parse errors span lines ("The following error occurred:", "See more help with --help"): keep the gist. */
export function oneLine(message: string): string {
  return stripAnsi(message)
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !/^See more help with/.test(line))
    .filter((line) => !/^The following errors? occurred:?$/.test(line))
    .join(" ")
    .replace(/\s+/g, " ")
    .trim();
}

/** Map anything a command can throw to one line, a suggestion and an exit code (2: bad input, 1: failure). */
export function describeError(error: unknown, commandId: string, bin: string): DescribedError {
  if (isSemflyLike(error)) {
    return {
      code: error.code,
      message: error.message,
      suggestion: error.suggestion ?? null,
      exitCode: error.exitCode,
    };
  }
  const help = `See \`${bin} ${commandId} --help\`.`;
  if (error instanceof Errors.CLIError) {
    const parse = "parse" in error;
    const suggestion = (error as { suggestion?: unknown }).suggestion;
    return {
      code: parse ? "INVALID_ARGUMENTS" : "CLI_ERROR",
      message: oneLine(error.message),
      suggestion: typeof suggestion === "string" ? suggestion : help,
      exitCode: parse ? 2 : (error.oclif?.exit ?? 2),
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: "UNEXPECTED",
    message: oneLine(message) || "Unexpected error",
    suggestion: "Run again with --verbose for details, and report it if it persists.",
    exitCode: 1,
  };
}

/** DEBUG=semfly* (or any pattern list that enables a `semfly:` namespace), as the `debug` package reads it. */
export function debugEnabled(debug: string | undefined, namespace = "semfly:http"): boolean {
  if (!debug) return false;
  let enabled = false;
  for (const raw of debug.split(/[\s,]+/)) {
    if (!raw) continue;
    const negative = raw.startsWith("-");
    const pattern = negative ? raw.slice(1) : raw;
    const regex = new RegExp(
      `^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`,
    );
    if (regex.test(namespace)) enabled = !negative;
  }
  return enabled;
}
