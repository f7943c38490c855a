/**
 * Synthetic traffic for the app proxy and the metrics API. Each started machine serves `rps` requests a
 * second from the moment it started on its current config; the image it runs decides how many answer 5xx
 * and what a probe through the proxy gets. Series appear only `metricsDelayMs` after a machine starts, as
 * Fly's scrapes lag, so a gate can meet "too little data".
 */
import type { MachineRecord } from "./model.js";
import { currentMachineVersion } from "./model.js";
import type { CounterSeries } from "./promql.js";
import type { EmulatorState } from "./state.js";

export interface ImageTraffic {
  /** Share of requests answered 503, 0..1. */
  errorRate?: number;
  /** What a probe through the proxy gets from a machine running this image; default 200 "ok". */
  probeStatus?: number;
  probeBody?: string;
}

export interface AppTraffic {
  /** Requests a second per started machine; default 10. */
  rps?: number;
  /** How long after a machine starts its series appear; default 0. */
  metricsDelayMs?: number;
}

export class TrafficModel {
  private readonly byImage = new Map<string, ImageTraffic>();
  private readonly byApp = new Map<string, AppTraffic>();

  constructor(private readonly state: EmulatorState) {}

  /** By tag ref or digest. */
  setImage(refOrDigest: string, traffic: ImageTraffic): void {
    const image = this.state.findImage(refOrDigest);
    const digest = image?.digest ?? refOrDigest;
    this.byImage.set(digest, { ...this.byImage.get(digest), ...traffic });
  }

  setApp(app: string, traffic: AppTraffic): void {
    this.byApp.set(app, { ...this.byApp.get(app), ...traffic });
  }

  private imageOf(machine: MachineRecord): ImageTraffic {
    return this.byImage.get(currentMachineVersion(machine).imageRef.digest) ?? {};
  }

  /** When the machine last reached `started` (events are newest first). */
  private startedAt(machine: MachineRecord): number {
    const event = machine.events.find((e) => e.status === "started");
    return event?.timestamp ?? Date.parse(machine.updatedAt);
  }

  /** `fly_app_http_responses_count` per machine and status, labelled as Fly labels it. */
  series(metric: string): CounterSeries[] {
    if (metric !== "fly_app_http_responses_count") return [];
    const now = this.state.now();
    const out: CounterSeries[] = [];
    for (const app of this.state.apps.values()) {
      const traffic = this.byApp.get(app.name) ?? {};
      const rps = traffic.rps ?? 10;
      for (const machine of app.machines.values()) {
        if (machine.state !== "started") continue;
        const ageMs = now - this.startedAt(machine) - (traffic.metricsDelayMs ?? 0);
        if (ageMs < 0) continue;
        const ageSeconds = ageMs / 1000;
        const errorRate = Math.min(1, Math.max(0, this.imageOf(machine).errorRate ?? 0));
        for (const [status, share] of [
          ["200", 1 - errorRate],
          ["503", errorRate],
        ] as const) {
          // A status never served has no series, as in Prometheus: gates need `or vector(0)`.
          if (share === 0) continue;
          out.push({
            labels: {
              __name__: metric,
              app: app.name,
              region: machine.region,
              host: `emu-${machine.region}`,
              instance: machine.id,
              status,
            },
            value: Math.round(rps * share * ageSeconds),
            ratePerSecond: rps * share,
            ageSeconds,
          });
        }
      }
    }
    return out;
  }

  /**
   * A request through Fly's proxy: to the forced machine, else to any started one that is not cordoned (a
   * cordoned machine is out of the proxy's balancing; `fly-force-instance-id` names one explicitly).
   */
  answer(appName: string, forcedMachine: string | null): { status: number; body: string } {
    const app = this.state.apps.get(appName);
    if (!app) return { status: 404, body: `no app ${appName}` };
    const started = [...app.machines.values()].filter((m) => m.state === "started");
    const balanced = started.filter((m) => !m.cordoned);
    const machine = forcedMachine
      ? started.find((m) => m.id === forcedMachine)
      : balanced[Math.floor(Math.random() * balanced.length)];
    // Fly's proxy answers 503 when no machine can take the request.
    if (!machine) return { status: 503, body: "no machine available" };
    const image = this.imageOf(machine);
    return { status: image.probeStatus ?? 200, body: image.probeBody ?? "ok" };
  }
}
