// Bundles the extension (dist/extension.js, CommonJS, `vscode` external) and, with --tests, the test
// harness and suites (test-output/). Flags: --tests, --watch, --production (minify, no source maps).
import { readdirSync, rmSync } from "node:fs";
import { chmod } from "node:fs/promises";
import * as esbuild from "esbuild";

const args = new Set(process.argv.slice(2));
const production = args.has("--production");

/** @type {esbuild.BuildOptions} */
const extension = {
  entryPoints: ["src/extension.ts"],
  outfile: "dist/extension.js",
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  external: ["vscode"],
  sourcemap: !production,
  minify: production,
  logLevel: "warning",
};

/** @type {esbuild.BuildOptions[]} */
const tests = [
  {
    // The mocha suites run inside the extension host, which loads them with require(); one bundle
    // per suite so the index can hand each file to mocha.
    entryPoints: readdirSync("test/integration")
      .filter((file) => file === "index.ts" || file.endsWith(".test.ts"))
      .map((file) => `test/integration/${file}`),
    outdir: "test-output/integration",
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    // The emulator is ESM and finds its scenarios through import.meta.url: load it as it is.
    external: ["vscode", "mocha", "@semfly/fly-emulator"],
    sourcemap: true,
    logLevel: "warning",
  },
  {
    // Node scripts that drive code-server and Chromium from outside the editor.
    entryPoints: {
      launcher: "test/harness/launcher.ts",
      "run-integration": "test/harness/runIntegration.ts",
      "run-ui": "test/ui/runUi.ts",
    },
    outdir: "test-output/harness",
    outExtension: { ".js": ".mjs" },
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    sourcemap: true,
    logLevel: "warning",
  },
];

const builds = args.has("--tests") ? [extension, ...tests] : [extension];

if (args.has("--watch")) {
  const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
  await Promise.all(contexts.map((context) => context.watch()));
} else {
  // Nothing stale ships or runs: a production build leaves no source map, deleted suites no bundle.
  rmSync("dist", { recursive: true, force: true });
  if (args.has("--tests")) rmSync("test-output", { recursive: true, force: true });
  await Promise.all(builds.map((options) => esbuild.build(options)));
  if (args.has("--tests")) {
    // runTests() spawns the launcher as if it were the VS Code executable.
    await chmod("test-output/harness/launcher.mjs", 0o755);
  }
}
