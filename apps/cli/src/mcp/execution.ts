import { join } from "node:path";
import type { GateSet, RolloutPlan } from "@semfly/core";
import { formatDuration } from "@semfly/core/duration";
import type { CoreModule } from "../base-command.js";
import { gatesJson } from "../render/gates.js";

/** `--wait-timeout`'s default. */
const DEFAULT_WAIT_TIMEOUT_MS = 5 * 60_000;

/** How a plan will run, fixed when it is made and shown with it: execute_plan runs it exactly so. */
export interface ExecutionChoices {
  waitTimeoutMs: number;
  leaseTtlSeconds: number;
  revert: boolean;
  /** A rollback only: freeze the app on its target once it is complete (`--no-freeze` is false). */
  freeze: boolean;
  /** The release's reason, also the freeze's. */
  reason: string | null;
  /** semfly.toml's gates in the server's working directory, as the CLI reads them from its own. */
  gates: GateSet;
  gateFile: string;
}

export interface ExecutionRequest {
  wait_timeout_seconds?: number | undefined;
  lease_ttl_seconds?: number | undefined;
  revert?: boolean | undefined;
  freeze?: boolean | undefined;
  reason?: string | undefined;
}

/**
 * The request's execution choices with the CLI's defaults filled in; a lease TTL outside core's bounds
 * is refused as `--lease-timeout` refuses it, before anything is fetched.
 */
export async function executionOf(
  core: CoreModule,
  request: ExecutionRequest,
  kind: RolloutPlan["kind"],
  cwd: string,
): Promise<ExecutionChoices> {
  const leaseTtlSeconds = request.lease_ttl_seconds ?? core.DEFAULT_LEASE_TTL_SECONDS;
  try {
    core.validateLeaseTtl(leaseTtlSeconds);
  } catch (error) {
    if (!core.isSemflyError(error) || error.kind !== "input") throw error;
    throw core.inputError(
      "INVALID_LEASE_TIMEOUT",
      `lease_ttl_seconds ${leaseTtlSeconds} is outside ${core.MIN_LEASE_TTL_SECONDS}..${core.MAX_LEASE_TTL_SECONDS} seconds.`,
      "Pass 13 (flyctl's default), 30 (semfly's) or up to 600. Nothing was changed.",
    );
  }
  return {
    waitTimeoutMs:
      request.wait_timeout_seconds === undefined
        ? DEFAULT_WAIT_TIMEOUT_MS
        : request.wait_timeout_seconds * 1000,
    leaseTtlSeconds,
    revert: request.revert ?? true,
    freeze: kind === "rollback" && (request.freeze ?? true),
    reason: request.reason?.trim() ? request.reason.trim() : null,
    gates: await core.loadGateFile(cwd),
    gateFile: join(cwd, core.GATE_FILE_NAME),
  };
}

/** The plan's execution choices in structuredContent. */
export function executionJson(plan: RolloutPlan, execution: ExecutionChoices) {
  return {
    strategy: plan.strategy,
    waitTimeoutSeconds: execution.waitTimeoutMs / 1000,
    leaseTtlSeconds: execution.leaseTtlSeconds,
    revert: execution.revert,
    freeze: plan.kind === "rollback" ? execution.freeze : null,
    gates: { ...gatesJson(execution.gates), file: execution.gateFile },
  };
}

/** The plan's execution choices as text: what execute_plan will do beyond the batches. */
export function executionLines(plan: RolloutPlan, execution: ExecutionChoices): string[] {
  const { gates } = execution;
  const names = [...gates.probes, ...gates.metrics].map((g) => g.name);
  const bake = gates.bakeMs > 0 ? `, then a ${formatDuration(gates.bakeMs)} bake window` : "";
  const target = plan.to.version ?? plan.to.key;
  return [
    `Execution: strategy ${plan.strategy}; each machine may take ${formatDuration(execution.waitTimeoutMs)} to start and pass its checks; leases of ${execution.leaseTtlSeconds}s.`,
    execution.revert
      ? "Revert: on: if a machine or a gate fails, every changed machine is put back."
      : "Revert: off (revert: false): if a machine or a gate fails, the rollout stops and the changed machines stay as they are.",
    names.length > 0
      ? `Gates (${execution.gateFile}): ${names.join("; ")}${bake}.`
      : `Gates: Fly's checks only${bake} (no gate in ${execution.gateFile}).`,
    ...(plan.kind !== "rollback"
      ? []
      : execution.freeze
        ? [
            `Freeze: once complete, the app is frozen on ${target}, so deploys are refused until \`semfly unfreeze\` (freeze: false skips it).`,
          ]
        : ["Freeze: off (freeze: false): the app is not frozen afterwards."]),
  ];
}
