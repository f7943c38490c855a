/** `semfly.toml` beside `fly.toml`: the gates CI, the CLI and VS Code share. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { inputError } from "../errors.js";
import { gatesFromFile } from "./parse-gates.js";
import { EMPTY_GATES, type GateSet } from "./types.js";

export const GATE_FILE_NAME = "semfly.toml";

/** The gates of `dir/semfly.toml`; none when the file does not exist. */
export async function loadGateFile(dir: string): Promise<GateSet> {
  const file = join(dir, GATE_FILE_NAME);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { ...EMPTY_GATES };
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = parseToml(text);
  } catch (error) {
    const first = ((error as Error).message ?? "").split("\n", 1)[0];
    throw inputError("INVALID_GATE_FILE", `${file} is not valid TOML: ${first}`);
  }
  return gatesFromFile(parsed, file);
}
