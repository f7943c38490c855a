#!/usr/bin/env node
// Bundles the compiled commands with @semfly/core and its dependencies into dist/bundle: resolving and
// reading a few hundred small files through pnpm's node_modules costs more start-up time than the request.
// @oclif/core stays external: its plugins (help, autocomplete) must share one instance with us.
import { readdir, rm } from "node:fs/promises";
import { build } from "esbuild";

const dist = new URL("../dist/", import.meta.url);
const commands = (await readdir(new URL("commands/", dist))).filter((f) => f.endsWith(".js"));
const hooks = (await readdir(new URL("hooks/", dist))).filter((f) => f.endsWith(".js"));
await rm(new URL("bundle/", dist), { recursive: true, force: true });
await build({
  entryPoints: [
    ...commands.map((f) => new URL(`commands/${f}`, dist).pathname),
    ...hooks.map((f) => new URL(`hooks/${f}`, dist).pathname),
    // Loaded by bin/run.js only under DEBUG.
    new URL("debug-logger.js", dist).pathname,
  ],
  outdir: new URL("bundle/", dist).pathname,
  // dist/commands/x.js → bundle/commands/x.js, dist/hooks/y.js → bundle/hooks/y.js
  outbase: dist.pathname,
  entryNames: "[dir]/[name]",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["@oclif/core"],
  // CommonJS dependencies (undici, semver) call require() for Node built-ins.
  banner: {
    js: 'import { createRequire as __semflyRequire } from "node:module"; const require = __semflyRequire(import.meta.url);',
  },
  logLevel: "warning",
});
console.log(`dist/bundle: ${commands.length} commands, ${hooks.length} hooks`);
