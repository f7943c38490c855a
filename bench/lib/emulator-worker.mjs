// Runs one Fly emulator on its own thread, so its work (JSON, timers, 60 ms latency sleeps) never shares an
// event loop with what is being measured. The parent talks to it through BenchEmulator (emulator.mjs).
import { parentPort, workerData } from "node:worker_threads";
import { largeScenario, startEmulator } from "../../packages/fly-emulator/dist/index.js";

const { large, scenario, ...options } = workerData;
const emulator = await startEmulator({
  ...options,
  scenario: large ? largeScenario(large) : (scenario ?? "demo"),
});

const commands = {
  counters: () => emulator.counters,
  /** Only the fields the suite counts with: a long log crosses the thread boundary cheaply. */
  requestLog: () =>
    emulator.requestLog.map((entry) => ({
      method: entry.method,
      path: entry.path,
      service: entry.service,
      operation: entry.operation,
      status: entry.status,
      durationMs: entry.durationMs,
      at: entry.at,
      query: entry.query,
    })),
  clearRequestLog: () => emulator.clearRequestLog(),
  addRelease: (app, spec) => {
    const release = emulator.addRelease(app, spec ?? {});
    return { version: release.version, id: release.id };
  },
  releaseCount: (app) => emulator.releases(app).length,
  machineIds: (app) => emulator.machines(app).map((machine) => machine.id),
  idle: (timeoutMs) => emulator.idle(timeoutMs),
  /** Set-up that Fly would rate-limit for minutes (300 creates) runs unlimited, the measured part limited. */
  setRateLimits: (limits) => emulator.setRateLimits(limits),
  setFaults: (faults) => emulator.setFaults(faults),
  /** State and parking labels of every machine, for checking what a run left. */
  machineStates: (app) =>
    emulator.machines(app).map((machine) => ({
      id: machine.id,
      state: machine.state,
      cordoned: machine.cordoned,
      parked: Boolean(machine.config?.metadata?.semfly_parked_until),
    })),
  close: () => emulator.close(),
};

parentPort.on("message", async ({ id, command, args }) => {
  try {
    const result = await commands[command](...(args ?? []));
    parentPort.postMessage({ id, result });
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
  if (command === "close") parentPort.close();
});

parentPort.postMessage({
  ready: true,
  url: emulator.url,
  env: emulator.env,
  token: emulator.token,
  apps: emulator.apps(),
});
