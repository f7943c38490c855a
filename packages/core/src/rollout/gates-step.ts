/**
 * The gates a team adds on top of Fly's checks (HTTP probes, PromQL), judged after every batch on the
 * machines it changed, then through the bake window with Fly's checks and "the same image everywhere".
 * A failing gate is a failed rollout: the engine reverts as it does for a machine that fails its checks.
 */

import type { GateSources } from "../verify/evaluate.js";
import type { GateResult, GateScope, GateSet } from "../verify/types.js";
import {
  gateSummary,
  judgeFlyChecks,
  judgeSameImage,
  judgeStillRunning,
} from "../verify/verdict.js";
import { watchGates } from "../verify/watch.js";
import type { RolloutEvent } from "./events.js";
import type { RolloutPlan } from "./plan.js";
import type { RolloutClient } from "./port.js";

export interface RolloutGates {
  gates: GateSet;
  /** Where metric samples and probe answers come from (see operations/verify.ts `gateSources`). */
  sources: Pick<GateSources, "queryMetrics" | "probe">;
}

export type GateVerdict =
  | { status: "pass"; results: GateResult[] }
  | { status: "fail"; failed: GateResult; results: GateResult[] }
  | { status: "interrupted"; results: GateResult[] };

/** What the release metadata keeps of a verdict: every gate's last value, and the one that failed. */
export function gateRecord(verdict: GateVerdict, bakeMs: number): Record<string, unknown> {
  const brief = (r: GateResult) => ({
    name: r.name,
    kind: r.kind,
    status: r.status,
    value: r.value,
    threshold: r.threshold,
    detail: r.detail,
  });
  return {
    bakeMs,
    results: verdict.results.map(brief),
    ...(verdict.status === "fail" ? { failed: brief(verdict.failed) } : {}),
  };
}

export function hasGates(gates: RolloutGates | undefined): gates is RolloutGates {
  return (
    gates !== undefined &&
    (gates.gates.probes.length > 0 || gates.gates.metrics.length > 0 || gates.gates.bakeMs > 0)
  );
}

export class GateStep {
  constructor(
    private readonly client: Pick<RolloutClient, "listMachines">,
    private readonly plan: RolloutPlan,
    private readonly gates: RolloutGates,
    private readonly emit: (event: RolloutEvent) => void,
  ) {}

  /** The changed machines that serve (cold ones do not), against the managed ones not yet changed. */
  private scope(changed: ReadonlySet<string>): GateScope {
    const started = this.plan.machines.filter((m) => m.state === "started");
    return {
      app: this.plan.app,
      changed: started.filter((m) => changed.has(m.id)).map((m) => m.id),
      baseline: started.filter((m) => !changed.has(m.id)).map((m) => m.id),
    };
  }

  /** Probes and metric gates once, on the batch's machines (waiting out gates with too little data). */
  async afterBatch(changed: ReadonlySet<string>, signal: AbortSignal): Promise<GateVerdict> {
    const { probes, metrics } = this.gates.gates;
    if (probes.length === 0 && metrics.length === 0) return { status: "pass", results: [] };
    return this.watch(changed, 0, "batch", signal, false);
  }

  /** After the last batch: every gate, Fly's checks and the same image everywhere, for the bake window. */
  bake(changed: ReadonlySet<string>, signal: AbortSignal): Promise<GateVerdict> {
    return this.watch(changed, this.gates.gates.bakeMs, "bake", signal, true);
  }

  private async watch(
    changed: ReadonlySet<string>,
    durationMs: number,
    phase: "batch" | "bake",
    signal: AbortSignal,
    withMachines: boolean,
  ): Promise<GateVerdict> {
    const judged = new Set([...this.plan.machines, ...this.plan.skipped].map((m) => m.id));
    const unreachable = new Set(this.plan.unreachable.map((m) => m.id));
    const wasServing = new Set(
      this.plan.machines.filter((m) => m.state === "started" && changed.has(m.id)).map((m) => m.id),
    );
    const machineGates = withMachines
      ? async (s?: AbortSignal) => {
          const machines = (await this.client.listMachines(this.plan.app, { signal: s })).filter(
            (m) => judged.has(m.id) && !unreachable.has(m.id),
          );
          const serving = machines.filter((m) => changed.has(m.id));
          return [
            judgeStillRunning(serving, wasServing),
            judgeFlyChecks(serving),
            judgeSameImage(machines, this.plan.to.digest),
          ];
        }
      : undefined;
    return watchGates(
      { ...this.gates.sources, machineGates },
      this.gates.gates,
      this.scope(changed),
      {
        durationMs,
        signal,
        onResults: (results) =>
          this.emit({ type: "gates", phase, results, summary: gateSummary(results) }),
      },
    );
  }
}

/** One line for the rollout's reason. */
export function gateFailureReason(failed: GateResult, phase: "batch" | "bake"): string {
  const when = phase === "bake" ? "during the bake window" : "after a batch";
  return `Gate ${failed.name} failed ${when}: ${failed.detail}`;
}
