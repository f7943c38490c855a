import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { type Emulator, type EmulatorOptions, startEmulator } from "./emulator.js";
import type { Faults } from "./faults.js";

export const USAGE = `usage: fly-emulator serve [options]

  --scenario <demo|real-app|file.json>  scenario to load (default: demo)
  --port <n>                   port (default: any free port)
  --host <addr>                address to listen on (default: 127.0.0.1)
  --latency-ms <n>             latency added to every request
  --boot-time-ms <n>           machine boot time (default 300)
  --check-delay-ms <n>         delay before checks report after boot (default 500)
  --run-time-ms <n>            how long a release command machine runs (default: boot time)
  --crash-after-ms <n>         how long a crash-looping image stays up (default: boot time)
  --seed <n>                   seed for ids, faults and jitter
  --faults <file.json>         fault configuration (see README, "Faults")
  --no-rate-limits             do not enforce Machines API rate limits

Prints the environment (export lines) that points semfly and flyctl at the emulator.
Stops on SIGINT / SIGTERM.`;

export class UsageError extends Error {}

function whole(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`--${name} expects a whole number, got ${JSON.stringify(value)}`);
  return n;
}

/** Parses `serve …` arguments into emulator options; null means "print the usage". */
export async function parseServeArgs(argv: string[]): Promise<EmulatorOptions | null> {
  let parsed: ReturnType<typeof parseServe>;
  try {
    parsed = parseServe(argv);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return null;
  if (positionals[0] !== "serve" || positionals.length > 1) {
    throw new UsageError(`unknown command ${JSON.stringify(positionals.join(" "))}`);
  }
  const faults = values.faults
    ? (JSON.parse(await readFile(values.faults, "utf8")) as Faults)
    : undefined;
  return {
    scenario: values.scenario ?? "demo",
    port: whole(values.port, "port"),
    host: values.host,
    latencyMs: whole(values["latency-ms"], "latency-ms"),
    bootTimeMs: whole(values["boot-time-ms"], "boot-time-ms"),
    checkDelayMs: whole(values["check-delay-ms"], "check-delay-ms"),
    runTimeMs: whole(values["run-time-ms"], "run-time-ms"),
    crashAfterMs: whole(values["crash-after-ms"], "crash-after-ms"),
    seed: whole(values.seed, "seed"),
    faults,
    rateLimits: !values["no-rate-limits"],
  };
}

function parseServe(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      scenario: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      "latency-ms": { type: "string" },
      "boot-time-ms": { type: "string" },
      "check-delay-ms": { type: "string" },
      "run-time-ms": { type: "string" },
      "crash-after-ms": { type: "string" },
      seed: { type: "string" },
      faults: { type: "string" },
      "no-rate-limits": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

/** The `export NAME=value` lines that point semfly and flyctl at the emulator. */
export function exportLines(emulator: Emulator): string {
  return Object.entries(emulator.env)
    .map(([name, value]) => `export ${name}=${value}\n`)
    .join("");
}

export async function serve(
  options: EmulatorOptions,
  out: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
) {
  const emulator = await startEmulator(options);
  out.stdout.write(exportLines(emulator));
  out.stderr.write(
    `# fly-emulator: scenario ${emulator.scenarioName}, seed ${emulator.seed}, listening on ${emulator.url}\n` +
      "# flyctl reads FLY_ACCESS_TOKEN before FLY_API_TOKEN: unset it if it is set.\n" +
      `# state: curl ${emulator.url}/__emulator/state\n`,
  );
  return emulator;
}
