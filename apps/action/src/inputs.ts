/**
 * The action's inputs, checked, and the semfly command line they become. Pure: the runtime's inputs come
 * in through `read`, the CLI's abilities through its oclif manifest.
 */

export const COMMANDS = ["deploy", "rollback", "verify", "versions", "status"] as const;
export type ActionCommand = (typeof COMMANDS)[number];

export interface ActionRequest {
  command: ActionCommand;
  app: string | null;
  version: string | null;
  image: string | null;
  strategy: string | null;
  maxUnavailable: string | null;
  waitTimeout: string | null;
  /** One PromQL gate per line, `QUERY <op> NUMBER`. */
  gates: string | null;
  /** One probe per line, `URL [status=2xx] [body=TEXT] [timeout=5s] [per-machine]`. */
  probes: string | null;
  bakeWindow: string | null;
  reason: string | null;
  /** rollback: freeze afterwards (default true). */
  freeze: boolean;
  /** deploy: lift a freeze and deploy anyway. */
  unfreeze: boolean;
  dryRun: boolean;
  githubToken: string | null;
}

/** A problem with the inputs or with what this build of semfly can do: the job fails with this line. */
export class ActionInputError extends Error {
  override readonly name = "ActionInputError";
}

function flag(read: (name: string) => string, name: string, fallback: boolean): boolean {
  const text = read(name).trim().toLowerCase();
  if (text === "") return fallback;
  if (text === "true") return true;
  if (text === "false") return false;
  throw new ActionInputError(`Input ${name} must be true or false, not "${read(name)}".`);
}

/** `read` returns "" for an input that was not given, as the runtime does. */
export function readRequest(read: (name: string) => string): ActionRequest {
  const text = (name: string) => read(name).trim() || null;
  const command = read("command").trim();
  if (!COMMANDS.includes(command as ActionCommand)) {
    throw new ActionInputError(
      `Input command must be one of ${COMMANDS.join(", ")}${command ? `, not "${command}"` : ""}.`,
    );
  }
  const request: ActionRequest = {
    command: command as ActionCommand,
    app: text("app"),
    version: text("version"),
    image: text("image"),
    strategy: text("strategy"),
    maxUnavailable: text("max-unavailable"),
    waitTimeout: text("wait-timeout"),
    gates: text("gates"),
    probes: text("probes"),
    bakeWindow: text("bake-window"),
    reason: text("reason"),
    freeze: flag(read, "freeze", true),
    unfreeze: flag(read, "unfreeze", false),
    dryRun: flag(read, "dry-run", false),
    githubToken: text("github-token"),
  };
  if (request.command === "deploy" && (!request.version || !request.image)) {
    throw new ActionInputError("command: deploy needs both the version and the image inputs.");
  }
  return request;
}

/** The commands and flags of the semfly build the action runs (its oclif manifest). */
export interface CliAbilities {
  commands: Record<string, { flags: Record<string, unknown> }>;
}

/**
 * Flags the action passes through when the input is set: input name → semfly flag. A multi-line input
 * gives the flag once per non-empty line (semfly's `--gate` and `--probe` repeat).
 */
const PASS_THROUGH: Array<[keyof ActionRequest, string, string, "one" | "per-line"]> = [
  ["strategy", "strategy", "strategy", "one"],
  ["maxUnavailable", "max-unavailable", "max-unavailable", "one"],
  ["waitTimeout", "wait-timeout", "wait-timeout", "one"],
  ["gates", "gates", "gate", "per-line"],
  ["probes", "probes", "probe", "per-line"],
  ["bakeWindow", "bake-window", "bake", "one"],
  ["reason", "reason", "reason", "one"],
];

/** The semfly arguments for the request, refusing what this build of semfly cannot do. */
export function cliArguments(request: ActionRequest, abilities: CliAbilities): string[] {
  const { command } = request;
  const spec = abilities.commands[command];
  if (!spec) {
    throw new ActionInputError(
      `This build of semfly has no \`${command}\` command yet; the action accepts command: ${command}, but cannot run it until the CLI has it.`,
    );
  }
  const has = (name: string) => name in spec.flags;
  const args: string[] = [command];
  if (command === "deploy") args.push(request.version!, "--image", request.image!);
  else if (command === "rollback" && request.version) args.push(request.version);
  if (request.app) args.push("--app", request.app);
  args.push("--json");
  if (command === "deploy" || command === "rollback") {
    args.push("--yes");
    if (request.dryRun) args.push("--dry-run");
  }
  for (const [key, input, cliFlag, arity] of PASS_THROUGH) {
    const value = request[key];
    if (typeof value !== "string") continue;
    if (!has(cliFlag)) {
      throw new ActionInputError(
        `Input ${input} is not supported by \`semfly ${command}\` in this build (it has no --${cliFlag} flag).`,
      );
    }
    const values =
      arity === "per-line"
        ? value
            .split("\n")
            .map((line) => line.trim())
            .filter(Boolean)
        : [value];
    for (const one of values) args.push(`--${cliFlag}`, one);
  }
  if (command === "rollback" && !request.freeze) args.push("--no-freeze");
  if (command === "deploy" && request.unfreeze) args.push("--unfreeze");
  return args;
}
