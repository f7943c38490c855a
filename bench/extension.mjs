// Extension: the .vsix's size, activation time (require + activate() of the production bundle with a fake
// `vscode` module, see probes/activate.cjs) and the time to build the Versions tree of an app with 1,000
// versions (core's buildVersionHistory + the extension's pure tree model, see probes/tree.mjs).
//
// The .vsix is built by the extension's own `package` script, run in a scratch copy of apps/vscode so
// that its production build never replaces the dist/ that the editor tests load.
import { spawn } from "node:child_process";
import { cpSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { createFlyClient, loadReleases } from "../packages/core/dist/index.js";
import { BenchEmulator, childEnv } from "./lib/emulator.mjs";
import { median, NODE, row, tempDir, timeCommand } from "./lib/runner.mjs";

export const name = "Extension";

const VSCODE_DIR = fileURLToPath(new URL("../apps/vscode/", import.meta.url));
const CORE_ENTRY = fileURLToPath(new URL("../packages/core/dist/index.js", import.meta.url));
const ACTIVATE_PROBE = fileURLToPath(new URL("./probes/activate.cjs", import.meta.url));
const TREE_PROBE = fileURLToPath(new URL("./probes/tree.mjs", import.meta.url));

/** @param {{smoke: boolean, iterations: (full: number, smoke: number) => number, log: (line: string) => void}} ctx */
export async function run(ctx) {
  const rows = [];
  const work = tempDir("extension");
  try {
    ctx.log("packaging the .vsix (pnpm --filter semfly-vscode package, in a scratch copy)");
    const packaged = await packageVsix(join(work.dir, "vscode"));
    rows.push(
      row({
        scenario: name,
        figure: ".vsix size",
        unit: "KB",
        samples: [packaged.vsixBytes / 1024],
        target: { max: 1024, of: "value", label: "≤ 1 MB" },
        note: `bundle dist/extension.js ${(packaged.bundleBytes / 1024).toFixed(0)} KB before compression`,
      }),
    );

    const activations = ctx.iterations(15, 3);
    ctx.log(
      `activation: require + activate() of the production bundle (${activations} fresh processes)`,
    );
    const probeOptions = { env: childEnv({ HOME: work.dir }), cwd: work.dir };
    const activate = () =>
      timeCommand(NODE, [ACTIVATE_PROBE, packaged.bundle, packaged.manifest], {
        ...probeOptions,
        keepStdout: true,
      }).then((run) => JSON.parse(run.stdout));
    await activate(); // warm the file cache
    const activation = [];
    for (let i = 0; i < activations; i++) activation.push(await activate());
    rows.push(
      row({
        scenario: name,
        figure: "activation (require + activate)",
        unit: "ms",
        samples: activation.map((s) => s.totalMs),
        target: { max: 50, of: "value", label: "≤ 50 ms" },
        note: `require ${median(activation.map((s) => s.requireMs)).toFixed(1)} ms + activate() ${median(activation.map((s) => s.activateMs)).toFixed(1)} ms (medians); measured with a fake vscode module, not inside code-server`,
      }),
    );

    const versions = ctx.smoke ? 200 : 1_000;
    ctx.log(`tree: ${versions} versions`);
    const data = await historyData(versions, join(work.dir, "tree-data.json"));
    const treeModule = await bundleTreeModel(join(work.dir, "tree-model.mjs"));
    const trees = ctx.iterations(10, 3);
    const tree = [];
    const build = () =>
      timeCommand(NODE, [TREE_PROBE, data.file, treeModule], {
        ...probeOptions,
        keepStdout: true,
      }).then((run) => JSON.parse(run.stdout));
    await build();
    for (let i = 0; i < trees; i++) tree.push(await build());
    rows.push(
      row({
        scenario: name,
        figure: `tree for ${tree[0].versions.toLocaleString("en")} versions`,
        unit: "ms",
        samples: tree.map((s) => s.totalMs),
        target: { max: 100, of: "value", label: "≤ 100 ms" },
        note: `buildVersionHistory ${median(tree.map((s) => s.historyMs)).toFixed(1)} ms + tree model ${median(tree.map((s) => s.treeMs)).toFixed(1)} ms (${tree[0].rows} rows; ${data.releases} releases, ${data.machines} machines; cold, one fresh process per sample)`,
      }),
    );
  } finally {
    work.remove();
  }
  return rows;
}

/**
 * Runs the extension's `package` script (as `pnpm --filter semfly-vscode package` would, with `--out`
 * appended) in a copy of apps/vscode: small files copied, sources and node_modules linked.
 */
export async function packageVsix(dir) {
  const manifest = JSON.parse(readFileSync(join(VSCODE_DIR, "package.json"), "utf8"));
  const script = manifest.scripts?.package;
  if (!script) throw new Error("apps/vscode/package.json has no package script");
  const linked = new Set(["src", "test", "node_modules", "scripts"]);
  const skipped = new Set(["dist", "test-output", ".turbo"]);
  cpSync(VSCODE_DIR, dir, {
    recursive: true,
    filter: (source) => {
      const top = source.slice(VSCODE_DIR.length).split("/")[0];
      return !linked.has(top) && !skipped.has(top) && !top.endsWith(".vsix");
    },
  });
  for (const entry of linked) {
    try {
      symlinkSync(join(VSCODE_DIR, entry), join(dir, entry));
    } catch (error) {
      if (error.code !== "ENOENT") throw error;
    }
  }
  const vsix = join(dir, "semfly-vscode.vsix");
  await sh(`${script} --out ${JSON.stringify(vsix)}`, dir);
  const bundle = join(dir, "dist", "extension.js");
  return {
    vsixBytes: statSync(vsix).size,
    bundle,
    bundleBytes: statSync(bundle).size,
    manifest: join(dir, "package.json"),
  };
}

function sh(command, cwd) {
  return new Promise((resolve, reject) => {
    const env = {
      ...childEnv(),
      PATH: `${join(VSCODE_DIR, "node_modules", ".bin")}:${process.env.PATH}`,
    };
    const child = spawn("sh", ["-c", command], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${command} exited ${code}: ${output.slice(-500)}`)),
    );
  });
}

/** An app with `versions` semver deploys (three scale releases after each), fetched once through core. */
async function historyData(versions, file) {
  const emulator = await BenchEmulator.start({
    large: { app: "bench-tree", releases: versions * 4, machines: 30, deployEvery: 4 },
    rateLimits: false,
  });
  try {
    const client = createFlyClient({
      token: emulator.token,
      apiBaseUrl: emulator.url,
      flapsBaseUrl: emulator.url,
      uiexBaseUrl: emulator.url,
    });
    const [releases, machines] = await Promise.all([
      loadReleases(client, emulator.app),
      client.listMachines(emulator.app),
    ]);
    writeFileSync(file, JSON.stringify({ app: emulator.app, releases, machines }));
    return { file, releases: releases.length, machines: machines.length };
  } finally {
    await emulator.close();
  }
}

/** The extension's tree model (no `vscode` import) as one ESM file; @semfly/core stays the built package. */
async function bundleTreeModel(outfile) {
  const entry = join(VSCODE_DIR, "src", "tree", "nodes", "appNode.ts");
  await esbuild.build({
    stdin: {
      contents: `export { AppNode } from ${JSON.stringify(entry)};`,
      resolveDir: VSCODE_DIR,
      loader: "ts",
    },
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "error",
    plugins: [
      {
        name: "core-as-built",
        setup(build) {
          build.onResolve({ filter: /^@semfly\/core$/ }, () => ({
            path: CORE_ENTRY,
            external: true,
          }));
        },
      },
    ],
  });
  // The module must not reach for the editor: it is the pure half of the tree.
  if (/from "vscode"|require\("vscode"\)/.test(readFileSync(outfile, "utf8"))) {
    throw new Error("the tree model imports vscode");
  }
  return outfile;
}
