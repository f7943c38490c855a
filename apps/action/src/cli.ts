import { spawn } from "node:child_process";

export interface CliRun {
  exitCode: number;
  /** The JSON semfly printed on stdout (`--json`), or null when it printed none. */
  json: unknown;
  stdout: string;
  stderr: string;
}

/**
 * Run the repository's own semfly bundle with Node. Its progress (stderr) goes to the job log as it
 * comes; its JSON (stdout) is kept for the summary and the outputs.
 */
export function runSemfly(
  cliEntry: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  log: (text: string) => void,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry, ...args], {
      env: { ...env, NO_COLOR: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      log(chunk);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      let json: unknown = null;
      try {
        json = stdout.trim() ? JSON.parse(stdout) : null;
      } catch {
        json = null;
      }
      resolve({ exitCode: code ?? 1, json, stdout, stderr });
    });
  });
}
