import { Worker } from "node:worker_threads";

/** Every benchmark talks to Fly through this much latency per request, so request counts show in the times. */
export const LATENCY_MS = 60;

/**
 * An emulator running on a worker thread. Options are startEmulator()'s, plus `large` (largeScenario()'s
 * options) instead of `scenario` for the big generated apps.
 */
export class BenchEmulator {
  /** @param {Worker} worker @param {{url: string, env: Record<string, string>, token: string, apps: string[]}} info */
  constructor(worker, info) {
    this.worker = worker;
    this.url = info.url;
    this.env = info.env;
    this.token = info.token;
    this.app = info.apps[0];
    this.nextId = 1;
    /** @type {Map<number, {resolve: (value: unknown) => void, reject: (error: Error) => void}>} */
    this.pending = new Map();
    worker.on("message", (message) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error) waiter.reject(new Error(`emulator: ${message.error}`));
      else waiter.resolve(message.result);
    });
    worker.on("error", (error) => {
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    });
  }

  /** @param {Record<string, unknown>} options */
  static start(options) {
    const worker = new Worker(new URL("./emulator-worker.mjs", import.meta.url), {
      workerData: { latencyMs: LATENCY_MS, ...options },
    });
    return new Promise((resolve, reject) => {
      const onError = (error) => reject(error);
      worker.once("error", onError);
      worker.once("message", (message) => {
        worker.off("error", onError);
        if (message.ready) resolve(new BenchEmulator(worker, message));
        else reject(new Error("emulator worker did not start"));
      });
    });
  }

  /** @param {string} command @param {unknown[]} args */
  call(command, ...args) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, command, args });
    });
  }

  /** @returns {Promise<{requests: number, rateLimited: number, byStatus: Record<string, number>}>} */
  counters() {
    return this.call("counters");
  }

  /** @returns {Promise<{method: string, path: string, service: string, operation: string, status: number}[]>} */
  requestLog() {
    return this.call("requestLog");
  }

  clearRequestLog() {
    return this.call("clearRequestLog");
  }

  /** @param {Record<string, unknown>} [spec] */
  addRelease(spec = {}) {
    return this.call("addRelease", this.app, spec);
  }

  /** @returns {Promise<number>} */
  releaseCount() {
    return this.call("releaseCount", this.app);
  }

  /** @param {boolean | Record<string, number>} limits */
  setRateLimits(limits) {
    return this.call("setRateLimits", limits);
  }

  /** @param {Record<string, unknown>} faults */
  setFaults(faults) {
    return this.call("setFaults", faults);
  }

  /** @returns {Promise<{id: string, state: string, cordoned: boolean, parked: boolean}[]>} */
  machineStates() {
    return this.call("machineStates", this.app);
  }

  async close() {
    await this.call("close").catch(() => {});
    await this.worker.terminate();
  }

  /** What a child process needs to reach the emulator: semfly reads the FLY_* variables. */
  childEnv(extra = {}) {
    return childEnv({ ...this.env, ...extra });
  }
}

/** The parent's environment without anything that would point a child at the real Fly or change its output. */
export function childEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith("FLY_") || key === "DEBUG" || key === "NODE_OPTIONS") continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: "1", ...extra };
}

/** Count the logged requests per kind: GraphQL release pages, machine lists, everything. */
export function summarizeRequests(log) {
  const releasePages = log.filter(
    (entry) => entry.service === "graphql" && entry.operation === "SemflyReleasesPage",
  ).length;
  const machineLists = log.filter((entry) => entry.operation === "machines.list").length;
  const labelRequests = log.filter(
    (entry) => entry.service === "graphql" && entry.operation === "SemflyReleaseImageConfigs",
  ).length;
  return { total: log.length, releasePages, machineLists, labelRequests };
}
