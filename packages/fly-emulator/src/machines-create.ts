/**
 * `POST /v1/apps/{app}/machines` (doc.json `Machines_create`, body `CreateMachineRequest`): a new machine
 * with exactly the config sent. Unlike scenario machines it gets no `fly_platform_version` or process
 * group it did not ask for, so a machine created outside Fly Launch stays outside it, as on Fly.
 */
import { parseJsonBody, type RequestContext, type Route, sendJson } from "./http.js";
import { machineId, machineName, privateIp, ulid } from "./ids.js";
import { machineJson } from "./machines-api.js";
import type { MachineConfigJson, MachineRecord } from "./model.js";
import { imageRefJson } from "./registry.js";
import { EmulatorError, type EmulatorState } from "./state.js";
import { iso, isPlainObject } from "./util.js";

function createMachine(state: EmulatorState, ctx: RequestContext, appName: string): void {
  const app = state.app(appName);
  const body = parseJsonBody(ctx);
  if (!isPlainObject(body)) throw new EmulatorError(400, "request body must be a JSON object");
  const config = body.config;
  if (!isPlainObject(config)) throw new EmulatorError(400, "config is required");
  const ref = typeof config.image === "string" ? config.image.trim() : "";
  if (ref === "") throw new EmulatorError(400, "config.image is required");
  const metadata = config.metadata ?? {};
  if (
    !isPlainObject(metadata) ||
    !Object.values(metadata).every((value) => typeof value === "string")
  ) {
    throw new EmulatorError(400, "config.metadata must map strings to strings");
  }
  const image = state.findImage(ref);
  if (!image || !state.imageVisibleTo(app, image))
    throw new EmulatorError(400, `failed to get manifest ${ref}: manifest unknown`);
  const region = typeof body.region === "string" && body.region ? body.region : "iad";
  const at = state.now();
  const machine: MachineRecord = {
    id: machineId(state.ids),
    name: typeof body.name === "string" && body.name ? body.name : machineName(state.ids),
    region,
    state: "created",
    createdAt: iso(at),
    updatedAt: iso(at),
    privateIp: privateIp(state.ids),
    versions: [
      {
        version: ulid(state.ids, at),
        config: structuredClone(config) as MachineConfigJson,
        imageRef: imageRefJson(ref, image),
        createdAt: iso(at),
      },
    ],
    checks: [],
    events: [],
    lease: null,
    generation: 0,
  };
  for (const other of app.machines.values()) {
    if (other.name === machine.name && other.state !== "destroyed") {
      throw new EmulatorError(409, `machine name ${machine.name} is taken`, "name_taken");
    }
  }
  app.machines.set(machine.id, machine);
  state.pushEvent(machine, "launch", "created", "user", at);
  if (body.skip_launch !== true) state.startMachine(app.name, machine);
  sendJson(ctx.res, 200, machineJson(state, machine));
}

/** Routes `POST /v1/apps/{app}/machines`; null for every other path. */
export function routeMachineCreate(
  state: EmulatorState,
  method: string,
  pathname: string,
): Route | null {
  const parts = pathname.split("/").map((p) => decodeURIComponent(p));
  if (method !== "POST" || parts.length !== 5) return null;
  if (parts[1] !== "v1" || parts[2] !== "apps" || parts[4] !== "machines" || !parts[3]) return null;
  const appName = parts[3];
  return {
    service: "machines",
    operation: "machines.create",
    mutating: true,
    rateLimitKey: `${appName}:machines.create`,
    handle: (ctx) => createMachine(state, ctx, appName),
  };
}
