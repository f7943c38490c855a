// Times building the Versions tree for one app, in a fresh process (cold, as after activation): core's
// buildVersionHistory over the app's releases and machines, then the extension's pure tree model (the app
// node, its version nodes and every row's item: label, description, tooltip, icon, context value).
// argv[2]: a JSON file {app, releases, machines}; argv[3]: the bundled tree model (exports AppNode).
// Prints {historyMs, treeMs, totalMs, versions, rows}.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { buildVersionHistory } from "../../packages/core/dist/index.js";

const [dataFile, treeModule] = process.argv.slice(2);
const { app, releases, machines } = JSON.parse(readFileSync(dataFile, "utf8"));
const { AppNode } = await import(pathToFileURL(treeModule).href);

const now = Date.now();
const start = process.hrtime.bigint();
const history = buildVersionHistory({ app, releases, machines });
const built = process.hrtime.bigint();
const state = {
  app: { name: app, sources: [{ kind: "setting" }] },
  load: { state: "loaded", history, loadedAt: now },
};
const root = new AppNode(state, now);
const items = [root.item(), ...root.children().map((node) => node.item())];
const end = process.hrtime.bigint();

const ms = (from, to) => Number(to - from) / 1e6;
process.stdout.write(
  `${JSON.stringify({
    historyMs: ms(start, built),
    treeMs: ms(built, end),
    totalMs: ms(start, end),
    versions: history.versions.length,
    rows: items.length,
  })}\n`,
);
