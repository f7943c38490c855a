import path from "node:path";

/** What the launcher needs from the command line runTests() builds for the VS Code executable. */
export interface LaunchArgs {
  extensionDevelopmentPaths: string[];
  extensionTestsPath: string | undefined;
  userDataDir: string | undefined;
  extensionsDir: string | undefined;
  folder: string | undefined;
  ignored: string[];
}

const VALUE_FLAGS = new Set([
  "extensionDevelopmentPath",
  "extensionTestsPath",
  "user-data-dir",
  "extensions-dir",
]);

export function parseLaunchArgs(argv: string[]): LaunchArgs {
  const parsed: LaunchArgs = {
    extensionDevelopmentPaths: [],
    extensionTestsPath: undefined,
    userDataDir: undefined,
    extensionsDir: undefined,
    folder: undefined,
    ignored: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) {
      parsed.folder ??= path.resolve(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (!VALUE_FLAGS.has(name)) {
      parsed.ignored.push(arg);
      continue;
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new Error(`${arg} needs a value`);
    const absolute = path.resolve(value);
    if (name === "extensionDevelopmentPath") parsed.extensionDevelopmentPaths.push(absolute);
    else if (name === "extensionTestsPath") parsed.extensionTestsPath = absolute;
    else if (name === "user-data-dir") parsed.userDataDir = absolute;
    else parsed.extensionsDir = absolute;
  }
  return parsed;
}
