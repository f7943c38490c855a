#!/usr/bin/env node
import { parseServeArgs, serve, USAGE, UsageError } from "./cli-serve.js";

async function main(argv: string[]): Promise<void> {
  const options = await parseServeArgs(argv);
  if (!options) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const emulator = await serve(options, process);
  const stop = () => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`fly-emulator: ${message}\n`);
  if (error instanceof UsageError) process.stderr.write(`${USAGE}\n`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
