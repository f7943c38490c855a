#!/usr/bin/env node
// Writes oclif.manifest.json after the build, as `oclif manifest` does: with it, oclif loads only the
// command being run instead of importing every command to learn its flags.
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Plugin } from "@oclif/core";

const root = fileURLToPath(new URL("..", import.meta.url));
const plugin = new Plugin({
  root,
  type: "core",
  isRoot: true,
  ignoreManifest: true,
  errorOnManifestCreate: true,
  respectNoCacheDefault: true,
});
await plugin.load();
await writeFile(
  new URL("../oclif.manifest.json", import.meta.url),
  `${JSON.stringify(plugin.manifest, null, 2)}\n`,
);
console.log(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands`);
