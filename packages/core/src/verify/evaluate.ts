/** One evaluation of the probes and metric gates: gather samples, then judge them (verdict.ts). */
import { isSemflyError } from "../errors.js";
import type { ProbeSender } from "./probe.js";
import { substituteQuery } from "./substitute.js";
import type { GateResult, GateScope, GateSet, MetricGate } from "./types.js";
import { judgeMetric, judgeProbe, type MetricSample } from "./verdict.js";

export interface GateSources {
  /** An instant PromQL query in the app's organization. */
  queryMetrics(query: string, signal?: AbortSignal): Promise<MetricSample[]>;
  probe: ProbeSender;
  /** Gates judged from the machines themselves (Fly's checks, the same image everywhere), each round. */
  machineGates?: ((signal?: AbortSignal) => Promise<GateResult[]>) | undefined;
}

export async function evaluateGates(
  sources: GateSources,
  gates: Pick<GateSet, "probes" | "metrics">,
  scope: GateScope,
  signal?: AbortSignal,
): Promise<GateResult[]> {
  const probes = gates.probes.map(async (gate) => {
    const targets = gate.perMachine && scope.changed.length > 0 ? scope.changed : [null];
    const answers = await Promise.all(targets.map((id) => sources.probe(gate, id, signal)));
    return judgeProbe(gate, answers);
  });
  const metrics = gates.metrics.map((gate) => metricResult(sources, gate, scope, signal));
  const fromMachines = sources.machineGates ? sources.machineGates(signal) : Promise.resolve([]);
  const [machineResults, ...rest] = await Promise.all([fromMachines, ...probes, ...metrics]);
  return [...(machineResults as GateResult[]), ...(rest as GateResult[])];
}

async function metricResult(
  sources: GateSources,
  gate: MetricGate,
  scope: GateScope,
  signal?: AbortSignal,
): Promise<GateResult> {
  try {
    return judgeMetric(
      gate,
      await sources.queryMetrics(substituteQuery(gate.query, scope), signal),
    );
  } catch (error) {
    // A rejected query is the gate's own mistake and fails it; Fly's metrics being away is no data.
    if (isSemflyError(error) && error.code === "METRICS_QUERY_REJECTED") {
      return { ...judgeMetric(gate, []), status: "fail", detail: error.message };
    }
    const detail = error instanceof Error ? error.message : String(error);
    return { ...judgeMetric(gate, []), detail: `metrics unavailable: ${detail}` };
  }
}
