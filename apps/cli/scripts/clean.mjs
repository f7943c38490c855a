#!/usr/bin/env node
// Before packing: remove every build output, so the tarball holds one build and nothing else. turbo's
// cache restores a build's files over whatever dist/ holds, which can leave chunks of another build behind.
import { rm } from "node:fs/promises";

for (const output of ["../dist/", "../oclif.manifest.json"]) {
  await rm(new URL(output, import.meta.url), { recursive: true, force: true });
}
