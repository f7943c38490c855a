/** `POST …/{id}/cordon` and `…/uncordon`: whether Fly's proxy may send a machine traffic. */
import type { CallOptions, FlyContext } from "./context.js";
import { machinesCall } from "./machines.js";

export async function setCordon(
  ctx: FlyContext,
  app: string,
  id: string,
  cordoned: boolean,
  input: { nonce?: string | undefined } = {},
  options: CallOptions = {},
): Promise<void> {
  const action = cordoned ? "cordon" : "uncordon";
  await machinesCall(ctx, {
    operation: `${action} a machine`,
    method: "POST",
    app,
    machineId: id,
    path: `/${encodeURIComponent(id)}/${action}`,
    nonce: input.nonce,
    // Cordoning a cordoned machine leaves it cordoned.
    repeatable: true,
    action: `${action}_machine`,
    signal: options.signal,
    retry: options.retry,
  });
}
