/**
 * `deploy.release_command`, run as flyctl runs it: one ephemeral machine in process group
 * `fly_app_release_command` with the target image and the app's env, waited for until it exits; its exit
 * code (from its events) decides whether the deploy goes on. It runs before any app machine changes.
 */
import { isSemflyError } from "../errors.js";
import type { MachineConfig } from "../versions/types.js";
import type { RolloutEvent } from "./events.js";
import type { ReleaseCommand, RolloutPlan } from "./plan.js";
import type { RolloutClient } from "./port.js";

export type ReleaseCommandClient = Pick<
  RolloutClient,
  "createMachine" | "waitForState" | "machineEvents" | "destroyMachine"
>;

/** Split a command line as a shell would for plain words and quotes (flyctl uses shellwords). */
export function commandWords(command: string): string[] {
  const words: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const match of command.matchAll(pattern)) {
    words.push(match[1]?.replace(/\\(.)/g, "$1") ?? match[2] ?? match[3] ?? "");
  }
  return words;
}

/** The app's env from its config (`[env]`), which the release command sees like every machine. */
function appEnv(definition: Record<string, unknown> | null): Record<string, string> {
  const env = definition?.env;
  if (!env || typeof env !== "object" || Array.isArray(env)) return {};
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
}

export function releaseCommandConfig(plan: RolloutPlan, command: ReleaseCommand): MachineConfig {
  return {
    image: plan.to.image,
    init: { cmd: commandWords(command.command) },
    env: {
      ...appEnv(plan.definition),
      RELEASE_COMMAND: "1",
      FLY_PROCESS_GROUP: "fly_app_release_command",
    },
    restart: { policy: "no" },
    auto_destroy: true,
    guest: { cpu_kind: "shared", cpus: 1, memory_mb: 256 },
    metadata: { fly_platform_version: "v2", fly_process_group: "fly_app_release_command" },
  };
}

/** Resolves when the command exited 0; throws with the reason otherwise. */
export async function runReleaseCommand(
  client: ReleaseCommandClient,
  plan: RolloutPlan,
  command: ReleaseCommand,
  waitTimeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const machine = await client.createMachine(
    plan.app,
    { config: releaseCommandConfig(plan, command) },
    { signal },
  );
  try {
    await client.waitForState(
      plan.app,
      machine.id,
      { state: ["stopped", "destroyed"], timeoutSeconds: Math.ceil(waitTimeoutMs / 1000) },
      { signal },
    );
  } catch (error) {
    if (isSemflyError(error) && error.code === "WAIT_TIMEOUT") {
      await client.destroyMachine(plan.app, machine.id, { signal }).catch(() => undefined);
      throw new Error(`the release command did not finish within the wait timeout`);
    }
    throw error;
  }
  const events = await client.machineEvents(plan.app, machine.id, { signal });
  const exit = events.find((e) => e.type === "exit" && e.exit !== null)?.exit ?? null;
  if (!exit || exit.exitCode === null) {
    throw new Error(`the release command's exit code could not be read from machine ${machine.id}`);
  }
  if (exit.exitCode !== 0) {
    throw new Error(
      `the release command exited with code ${exit.exitCode} (machine ${machine.id})`,
    );
  }
}

/** The release command as a step of the rollout: announced, run, and its failure reason (or null). */
export async function releaseCommandStep(
  client: ReleaseCommandClient,
  plan: RolloutPlan,
  waitTimeoutMs: number,
  signal: AbortSignal,
  emit: (event: RolloutEvent) => void,
): Promise<string | null> {
  if (!plan.releaseCommand) return null;
  emit({ type: "release-command", status: "running" });
  try {
    await runReleaseCommand(client, plan, plan.releaseCommand, waitTimeoutMs, signal);
    emit({ type: "release-command", status: "succeeded" });
    return null;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    emit({ type: "release-command", status: "failed", reason });
    return reason;
  }
}
