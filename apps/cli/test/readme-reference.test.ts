import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs build script, without types
import { referenceMarkdown, withReference } from "../scripts/reference.mjs";
import { CLI_ROOT } from "./helpers.js";

const manifest = async () =>
  JSON.parse(await readFile(join(CLI_ROOT, "oclif.manifest.json"), "utf8")) as {
    commands: Record<string, { flags: Record<string, { hidden?: boolean }> }>;
  };

describe("README.md's command reference", () => {
  it("is what the CLI's own help says (run `node scripts/reference.mjs` after changing a command)", async () => {
    const readme = await readFile(join(CLI_ROOT, "README.md"), "utf8");
    expect(readme).toBe(withReference(readme, await manifest()));
  });

  it("names every command and every visible flag of each", async () => {
    const m = await manifest();
    const text: string = referenceMarkdown(m);
    for (const [id, command] of Object.entries(m.commands)) {
      expect(text).toContain(`### \`semfly ${id}`);
      for (const [name, flag] of Object.entries(command.flags)) {
        if (flag.hidden || ["app", "access-token", "json", "verbose"].includes(name)) continue;
        expect(text).toMatch(new RegExp(`--(\\[no-\\])?${name}\\b`));
      }
    }
  });
});
