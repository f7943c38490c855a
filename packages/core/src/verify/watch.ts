/**
 * Judge gates over time: once after a batch, or through a bake window. A gate with too little data neither
 * passes nor fails: it is asked again until it has data or its own wait runs out.
 */
import { sleep } from "../rollout/concurrency.js";
import { evaluateGates, type GateSources } from "./evaluate.js";
import type { GateResult, GateScope, GateSet } from "./types.js";

export interface WatchOptions {
  /** Keep evaluating this long (the bake window); 0 judges once (still waiting out gates with no data). */
  durationMs: number;
  signal?: AbortSignal | undefined;
  /** Each round's results, for progress. */
  onResults?: ((results: GateResult[]) => void) | undefined;
  now?: () => number;
}

export type WatchOutcome =
  | { status: "pass"; results: GateResult[] }
  | { status: "fail"; failed: GateResult; results: GateResult[] }
  | { status: "interrupted"; results: GateResult[] };

export async function watchGates(
  sources: GateSources,
  gates: GateSet,
  scope: GateScope,
  options: WatchOptions,
): Promise<WatchOutcome> {
  const now = options.now ?? Date.now;
  const started = now();
  const noDataSince = new Map<string, number>();
  let results: GateResult[] = [];
  for (;;) {
    if (options.signal?.aborted) return { status: "interrupted", results };
    results = await evaluateGates(sources, gates, scope, options.signal);
    if (options.signal?.aborted) return { status: "interrupted", results };
    const at = now();
    let waiting = false;
    results = results.map((result) => {
      if (result.status !== "no-data") {
        noDataSince.delete(result.name);
        return result;
      }
      const since = noDataSince.get(result.name) ?? at;
      noDataSince.set(result.name, since);
      const waitMs = result.waitMs ?? 0;
      if (at - since < waitMs) {
        waiting = true;
        const left = Math.ceil((waitMs - (at - since)) / 1000);
        return { ...result, detail: `${result.detail}; waiting up to ${left}s more for data` };
      }
      const verdict = result.noData === "pass" ? "pass" : "fail";
      return {
        ...result,
        status: verdict,
        detail: `${result.detail}; still no data after ${Math.round(waitMs / 1000)}s (no_data = "${verdict}")`,
      };
    });
    options.onResults?.(results);
    const failed = results.find((r) => r.status === "fail");
    if (failed) return { status: "fail", failed, results };
    if (!waiting && at - started >= options.durationMs) return { status: "pass", results };
    const left = options.durationMs - (at - started);
    await sleep(
      Math.max(0, Math.min(gates.intervalMs, waiting ? gates.intervalMs : left)),
      options.signal,
    );
  }
}
