/**
 * `semfly verify`: the gates against what is live now, changing nothing. For a CI step after a plain
 * `fly deploy`, or a look during an incident.
 */
import type { FlyClient } from "../fly/client.js";
import type { GateSources } from "../verify/evaluate.js";
import { httpProbeSender, type ProbeSender } from "../verify/probe.js";
import type { GateResult, GateSet } from "../verify/types.js";
import { judgeFlyChecks, judgeSameImage } from "../verify/verdict.js";
import { watchGates } from "../verify/watch.js";
import { isAppMachine } from "../versions/history.js";
import type { FlyMachine } from "../versions/types.js";

export type VerifyClient = Pick<FlyClient, "listMachines" | "appOrganization" | "queryMetrics">;

export interface VerifyOptions {
  signal?: AbortSignal | undefined;
  onResults?: ((results: GateResult[]) => void) | undefined;
  probe?: ProbeSender | undefined;
}

export interface VerifyReport {
  app: string;
  status: "pass" | "fail" | "interrupted";
  /** The last round's results, every gate. */
  results: GateResult[];
  /** The gate that failed, when one did. */
  failed: GateResult | null;
  machines: number;
}

/** The metric and probe sources every gate evaluation uses: the org's Prometheus, and HTTP from here. */
export function gateSources(
  client: Pick<FlyClient, "appOrganization" | "queryMetrics">,
  app: string,
  options: { probe?: ProbeSender | undefined; machineGates?: GateSources["machineGates"] } = {},
): GateSources {
  let org: Promise<string> | null = null;
  return {
    async queryMetrics(query, signal) {
      org ??= client.appOrganization(app, { signal });
      return client.queryMetrics(await org, query, { signal });
    },
    probe: options.probe ?? httpProbeSender(),
    machineGates: options.machineGates,
  };
}

export async function verifyLive(
  client: VerifyClient,
  app: string,
  gates: GateSet,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  let machines = await appMachines(client, app, options.signal);
  const readMachines = async (signal?: AbortSignal) => {
    machines = await appMachines(client, app, signal);
    return [judgeFlyChecks(machines), judgeSameImage(machines, null)];
  };
  const outcome = await watchGates(
    gateSources(client, app, { probe: options.probe, machineGates: readMachines }),
    gates,
    // Nothing is changing: the started machines are the ones judged (a stopped one serves nothing, and a
    // probe forced to it would wake it), and there is no baseline.
    { app, changed: machines.filter((m) => m.state === "started").map((m) => m.id), baseline: [] },
    { durationMs: gates.bakeMs, signal: options.signal, onResults: options.onResults },
  );
  const scoped = outcome.results;
  return {
    app,
    status: outcome.status,
    results: scoped,
    failed: outcome.status === "fail" ? outcome.failed : null,
    machines: machines.length,
  };
}

async function appMachines(
  client: Pick<FlyClient, "listMachines">,
  app: string,
  signal?: AbortSignal,
): Promise<FlyMachine[]> {
  return (await client.listMachines(app, { signal })).filter(isAppMachine);
}
