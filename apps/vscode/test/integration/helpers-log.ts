import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type * as vscode from "vscode";

/** Every log file VS Code wrote for this extension (the output channel's among them), concatenated. */
export function readExtensionLogs(logUri: vscode.Uri): { files: string[]; text: string } {
  const files: string[] = [];
  const walk = (dir: string) => {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (name.endsWith(".log")) files.push(file);
    }
  };
  walk(logUri.fsPath);
  return { files, text: files.map((file) => readFileSync(file, "utf8")).join("\n") };
}
