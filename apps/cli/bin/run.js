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
  // oclif's DEBUG output prints argv, which can hold a token: under DEBUG a redacting logger replaces it.
  const logger = process.env.DEBUG
    ? (await import("../dist/bundle/debug-logger.js")).redactingLogger(argv, process.env)
    : undefined;
  await execute({
    dir: import.meta.url,
    ...(logger ? { loadOptions: { root: new URL("..", import.meta.url).pathname, logger } } : {}),
  });
  // oclif has flushed stdout and stderr by now. Idle keep-alive sockets to Fly would hold the process
  // open a while longer for nothing (a rollout's leases are released before its command returns).
  process.exit(process.exitCode ?? 0);
}
