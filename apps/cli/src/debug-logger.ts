/**
 * oclif's own DEBUG output prints argv, which can hold `--access-token`. This logger prints what oclif's
 * would, for the namespaces DEBUG enables, with every token removed. bin/run.js loads it only when DEBUG is
 * set, so `semfly --version` and ordinary runs never pay for it.
 */
import { format } from "node:util";
import type { Interfaces } from "@oclif/core";
import { redact, registerSecret } from "@semfly/core";
import { debugEnabled } from "./errors.js";

/** Every token the user handed over: by flag (either spelling) and by environment. */
export function tokensGiven(argv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const tokens: string[] = [];
  for (const [i, arg] of argv.entries()) {
    const next = argv[i + 1];
    if ((arg === "--access-token" || arg === "-t") && next) tokens.push(next);
    if (arg.startsWith("--access-token=")) tokens.push(arg.slice("--access-token=".length));
  }
  for (const name of ["FLY_ACCESS_TOKEN", "FLY_API_TOKEN"]) {
    const value = env[name];
    if (value) tokens.push(value);
  }
  return tokens;
}

export function redactingLogger(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  write: (text: string) => void = (text) => process.stderr.write(text),
): Interfaces.Logger {
  for (const token of tokensGiven(argv, env)) registerSecret(token);
  const make = (namespace: string): Interfaces.Logger => {
    const enabled = debugEnabled(env.DEBUG, namespace);
    const log = (formatter: unknown, ...args: unknown[]) => {
      if (enabled) write(`${namespace} ${redact(format(formatter, ...args))}\n`);
    };
    return {
      namespace,
      child: (child: string, delimiter = ":") => make(`${namespace}${delimiter}${child}`),
      debug: log,
      error: log,
      info: log,
      trace: log,
      warn: log,
    };
  };
  return make("oclif");
}
