/** `POST /apps/{app}/machines` (doc.json `Machines_create`, body `CreateMachineRequest`). */
import type { FlyMachine, MachineConfig } from "../versions/types.js";
import type { CallOptions, FlyContext } from "./context.js";
import { machinesCall } from "./machines.js";
import { toFlyMachine } from "./map-machine.js";
import { decode, MachineSchema } from "./schemas.js";

export interface CreateMachineInput {
  config: MachineConfig;
  region?: string | undefined;
  name?: string | undefined;
  /** Create it without starting it. */
  skipLaunch?: boolean | undefined;
  skipServiceRegistration?: boolean | undefined;
}

export async function createMachine(
  ctx: FlyContext,
  app: string,
  input: CreateMachineInput,
  options: CallOptions = {},
): Promise<FlyMachine> {
  const operation = "create a machine";
  const body: Record<string, unknown> = { config: input.config };
  if (input.region) body.region = input.region;
  if (input.name) body.name = input.name;
  if (input.skipLaunch) body.skip_launch = true;
  if (input.skipServiceRegistration) body.skip_service_registration = true;
  const response = await machinesCall(ctx, {
    operation,
    method: "POST",
    app,
    path: "",
    body,
    // A resend after an ambiguous failure could create a second machine.
    repeatable: false,
    action: "create_machine",
    signal: options.signal,
  });
  return toFlyMachine(decode(operation, MachineSchema, response), operation, response.requestId);
}
