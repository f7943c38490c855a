/**
 * Pure rules over a machine config (`fly.MachineConfig` JSON), as Fly's platform and fly-go read it.
 */
import type { MachineConfigJson } from "./model.js";
import { isPlainObject } from "./util.js";

/** Process groups flyctl reserves for its own short-lived machines (fly-go `MachineProcessGroup*`). */
export const RELEASE_COMMAND_GROUP = "fly_app_release_command";
export const CONSOLE_GROUP = "fly_app_console";
export const TEST_MACHINE_GROUP = "fly_app_test_machine_command";

/** fly-go `MachineConfig.ProcessGroup`: `fly_process_group`, else the legacy `process_group`. */
export function processGroupOf(config: MachineConfigJson | undefined): string {
  const metadata = config?.metadata ?? {};
  return metadata.fly_process_group || metadata.process_group || "";
}

/** fly-go `IsReleaseCommandMachine`: either spelling of the release-command group. */
export function isReleaseCommandConfig(config: MachineConfigJson | undefined): boolean {
  return (
    processGroupOf(config) === RELEASE_COMMAND_GROUP ||
    config?.metadata?.process_group === "release_command"
  );
}

/** `restart.policy`; Fly's default is `on-failure` (doc.json `fly.MachineRestart`). */
export function restartPolicyOf(config: MachineConfigJson): "no" | "always" | "on-failure" {
  const restart = isPlainObject(config.restart) ? config.restart : {};
  const policy = restart.policy;
  return policy === "no" || policy === "always" ? policy : "on-failure";
}

/** `restart.max_retries` when the policy is `on-failure` and it is set; null = no limit (our choice). */
export function maxRetriesOf(config: MachineConfigJson): number | null {
  const restart = isPlainObject(config.restart) ? config.restart : {};
  return restartPolicyOf(config) === "on-failure" && typeof restart.max_retries === "number"
    ? restart.max_retries
    : null;
}

/**
 * A machine whose main process runs once and exits instead of serving: flyctl's release command (and
 * test-machine) machines, which it launches with `restart.policy: "no"` and `auto_destroy: true`
 * (`appconfig.ToReleaseMachineConfig`, env `RELEASE_COMMAND=1`).
 */
export function runsToCompletion(config: MachineConfigJson): boolean {
  if (restartPolicyOf(config) !== "no") return false;
  const env = isPlainObject(config.env) ? config.env : {};
  return (
    isReleaseCommandConfig(config) ||
    processGroupOf(config) === TEST_MACHINE_GROUP ||
    env.RELEASE_COMMAND === "1"
  );
}

export interface ConfiguredCheck {
  /** The runtime name in `Machine.checks`. */
  name: string;
  type: string;
  target: string;
}

/**
 * The checks a machine reports (fly-go `AllHealthChecks` counts them all): `config.checks` by name,
 * then every `config.services[i].checks` entry as `servicecheck-NN-<type>-<internal port>` (NN = the
 * index within its service; uncertain whether Fly numbers across services). With neither, one default
 * TCP check when the app asks for it.
 */
export function configuredChecks(
  config: MachineConfigJson,
  defaultCheck: boolean,
): ConfiguredCheck[] {
  const out: ConfiguredCheck[] = [];
  for (const [name, check] of Object.entries(config.checks ?? {}).sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    out.push({
      name,
      type: check.type ?? "http",
      target: `${check.method ?? "GET"} ${check.path ?? "/"}`,
    });
  }
  for (const service of config.services ?? []) {
    (service.checks ?? []).forEach((check, index) => {
      const type = check.type ?? "tcp";
      out.push({
        name: `servicecheck-${String(index).padStart(2, "0")}-${type}-${service.internal_port ?? 0}`,
        type,
        target: `${check.method ?? "GET"} ${check.path ?? "/"}`,
      });
    });
  }
  if (out.length === 0 && defaultCheck) {
    const port = config.services?.[0]?.internal_port ?? 8080;
    out.push({ name: `servicecheck-00-tcp-${port}`, type: "tcp", target: `port ${port}` });
  }
  return out;
}

/** Keys of the partial config Fly rebuilds for a machine on an unreachable host (our choice). */
const INCOMPLETE_CONFIG_KEYS = ["image", "guest", "metadata"] as const;

/**
 * What `incomplete_config` holds when the host is unreachable: image, guest and metadata only. Services,
 * checks, env, init, restart, mounts… are missing, so sending it back as an update strips them.
 */
export function incompleteConfigOf(config: MachineConfigJson): MachineConfigJson {
  const out: MachineConfigJson = {};
  for (const key of INCOMPLETE_CONFIG_KEYS) {
    if (config[key] !== undefined)
      (out as Record<string, unknown>)[key] = structuredClone(config[key]);
  }
  return out;
}

/**
 * True when an update's config looks rebuilt from `incomplete_config`: apart from image and metadata
 * (which a client changes on purpose) it is exactly the incomplete view, while the machine's real config
 * has more.
 */
export function looksLikeIncompleteConfig(
  sent: MachineConfigJson,
  current: MachineConfigJson,
): boolean {
  const strip = (config: MachineConfigJson) => {
    const { image: _image, metadata: _metadata, ...rest } = config;
    return rest;
  };
  const incomplete = strip(incompleteConfigOf(current));
  return (
    stableJson(strip(sent)) === stableJson(incomplete) &&
    stableJson(strip(current)) !== stableJson(incomplete)
  );
}

/** JSON with object keys sorted, for order-insensitive comparison. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    isPlainObject(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
