/**
 * A realistic app config (fly.toml as JSON, the `definition` flyctl stores on every release) derived from
 * a scenario's per-group machine configs, for scenarios that do not spell one out. Field names follow
 * flyctl's `appconfig.Config` JSON tags (`app`, `primary_region`, `env`, `processes`, `http_service`,
 * `services`, `checks`, `deploy`, `vm`).
 */
import type { MachineCheckConfigJson, MachineConfigJson } from "./model.js";
import { isPlainObject } from "./util.js";

export interface DefinitionOptions {
  app: string;
  primaryRegion: string;
  /** `deploy.release_command`. */
  releaseCommand?: string | null;
}

/** fly.toml `auto_stop_machines` from a machine service's `autostop` (bool or "stop"/"suspend"). */
function autoStopSetting(autostop: unknown): string | undefined {
  if (autostop === true || autostop === "stop") return "stop";
  if (autostop === "suspend") return "suspend";
  if (autostop === false || autostop === "off") return "off";
  return undefined;
}

/** A service check as fly.toml writes it (`[[http_service.checks]]`, `[[services.http_checks]]`). */
function tomlCheck(check: MachineCheckConfigJson): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ["interval", "timeout", "grace_period", "method", "path", "protocol"]) {
    if (check[key] !== undefined) out[key] = check[key];
  }
  return out;
}

function isHttpService(service: NonNullable<MachineConfigJson["services"]>[number]): boolean {
  const ports = Array.isArray(service.ports) ? service.ports : [];
  const numbers = ports.map((p) => (isPlainObject(p) ? p.port : undefined));
  return numbers.includes(80) && numbers.includes(443) && ports.length === 2;
}

function commandOf(config: MachineConfigJson): string {
  const init = isPlainObject(config.init) ? config.init : {};
  return Array.isArray(init.cmd) ? init.cmd.join(" ") : "";
}

export function deriveAppDefinition(
  groups: Record<string, MachineConfigJson>,
  options: DefinitionOptions,
): Record<string, unknown> {
  const names = Object.keys(groups).filter((name) => !name.startsWith("fly_app_"));
  const multi = names.length > 1;
  const definition: Record<string, unknown> = {
    app: options.app,
    primary_region: options.primaryRegion,
  };
  const main = groups.app ?? groups[names[0] ?? ""] ?? {};
  if (isPlainObject(main.env) && Object.keys(main.env).length > 0)
    definition.env = structuredClone(main.env);
  if (multi) {
    definition.processes = Object.fromEntries(
      names.map((name) => [name, commandOf(groups[name] ?? {})]),
    );
  }
  if (options.releaseCommand) definition.deploy = { release_command: options.releaseCommand };

  const services: Array<Record<string, unknown>> = [];
  const checks: Record<string, Record<string, unknown>> = {};
  const vms: Array<Record<string, unknown>> = [];
  for (const name of names) {
    const config = groups[name] ?? {};
    const processes = multi ? { processes: [name] } : {};
    for (const service of config.services ?? []) {
      const common: Record<string, unknown> = {
        internal_port: service.internal_port,
        ...(autoStopSetting(service.autostop)
          ? { auto_stop_machines: autoStopSetting(service.autostop) }
          : {}),
        ...(typeof service.autostart === "boolean"
          ? { auto_start_machines: service.autostart }
          : {}),
        ...(typeof service.min_machines_running === "number"
          ? { min_machines_running: service.min_machines_running }
          : {}),
        ...(service.concurrency ? { concurrency: structuredClone(service.concurrency) } : {}),
        ...processes,
      };
      const serviceChecks = service.checks ?? [];
      if (isHttpService(service) && definition.http_service === undefined) {
        const ports = Array.isArray(service.ports) ? service.ports : [];
        const forceHttps = ports.some((p) => isPlainObject(p) && p.force_https === true);
        definition.http_service = {
          ...common,
          force_https: forceHttps,
          ...(serviceChecks.length > 0 ? { checks: serviceChecks.map(tomlCheck) } : {}),
        };
        continue;
      }
      services.push({
        protocol: service.protocol ?? "tcp",
        ...common,
        ports: structuredClone(service.ports ?? []),
        ...(serviceChecks.some((c) => (c.type ?? "tcp") === "tcp")
          ? { tcp_checks: serviceChecks.filter((c) => (c.type ?? "tcp") === "tcp").map(tomlCheck) }
          : {}),
        ...(serviceChecks.some((c) => c.type === "http")
          ? { http_checks: serviceChecks.filter((c) => c.type === "http").map(tomlCheck) }
          : {}),
      });
    }
    for (const [checkName, check] of Object.entries(config.checks ?? {})) {
      checks[checkName] = {
        type: check.type ?? "http",
        ...(check.port !== undefined ? { port: check.port } : {}),
        ...tomlCheck(check),
        ...processes,
      };
    }
    if (isPlainObject(config.guest)) {
      const { cpu_kind, cpus, memory_mb } = config.guest;
      vms.push({ cpu_kind, cpus, memory_mb, ...processes });
    }
  }
  if (services.length > 0) definition.services = services;
  if (Object.keys(checks).length > 0) definition.checks = checks;
  if (vms.length > 0) definition.vm = vms;
  return definition;
}
