#!/usr/bin/env node
// Lean on purpose: `semfly --version` answers without loading oclif, and nothing heavy loads before a command runs.
const argv = process.argv.slice(2);

if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
  const { readFileSync } = await import("node:fs");
  const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  // The same string oclif prints (Config#userAgent).
  const platform = process.platform === "win32" ? "windows" : process.platform;
  const arch = process.arch === "ia32" ? "x86" : process.arch;
  process.stdout.write(`semfly/${version} ${platform}-${arch} node-${process.version}\n`);
} else {
  const { execute } = await import("@oclif/core");
  const logger = process.env.DEBUG ? await redactingLogger() : undefined;
  await execute({
    dir: import.meta.url,
    ...(logger ? { loadOptions: { root: new URL("..", import.meta.url).pathname, logger } } : {}),
  });
  // oclif has flushed stdout and stderr by now. Idle keep-alive sockets to Fly would hold the process
  // open a while longer for nothing (a rollout's leases are released before its command returns).
  process.exit(process.exitCode ?? 0);
}

/**
 * oclif's own DEBUG output prints argv, which can hold `--access-token`. This logger prints what oclif's
 * would, for the namespaces DEBUG enables, with every token removed.
 */
async function redactingLogger() {
  const { format } = await import("node:util");
  const secrets = new Set();
  for (const [i, arg] of argv.entries()) {
    if ((arg === "--access-token" || arg === "-t") && argv[i + 1]) secrets.add(argv[i + 1]);
    if (arg.startsWith("--access-token=")) secrets.add(arg.slice("--access-token=".length));
  }
  for (const name of ["FLY_ACCESS_TOKEN", "FLY_API_TOKEN"]) {
    if (process.env[name]) secrets.add(process.env[name]);
  }
  const redact = (text) => {
    let out = text;
    for (const secret of secrets)
      if (secret.length >= 4) out = out.split(secret).join("[REDACTED]");
    return out.replace(/\bfm[12][ar]?_[A-Za-z0-9+/=_-]+/g, "[REDACTED]");
  };
  const patterns = (process.env.DEBUG ?? "").split(/[\s,]+/).filter(Boolean);
  const matches = (namespace) => {
    let on = false;
    for (const raw of patterns) {
      const negative = raw.startsWith("-");
      const body = (negative ? raw.slice(1) : raw).replace(/[.+?^${}()|[\]\\]/g, "\\$&");
      if (new RegExp(`^${body.replace(/\*/g, ".*")}$`).test(namespace)) on = !negative;
    }
    return on;
  };
  const make = (namespace) => {
    const enabled = matches(namespace);
    const debug = (...args) => {
      if (enabled) process.stderr.write(`${namespace} ${redact(format(...args))}\n`);
    };
    return {
      namespace,
      child: (ns, delimiter = ":") => make(`${namespace}${delimiter}${ns}`),
      debug,
      error: debug,
      info: debug,
      trace: debug,
      warn: debug,
    };
  };
  return make("oclif");
}
