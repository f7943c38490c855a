/** HTTP probes, sent from where semfly runs, like any visitor's request. Never with the Fly token. */
import { type Dispatcher, request } from "undici";
import { redact } from "../errors.js";
import type { ProbeGate } from "./types.js";
import type { ProbeAnswer } from "./verdict.js";

/** Enough of a body to find a substring in; a probe is not a download. */
const MAX_BODY_BYTES = 64 * 1024;

export type ProbeSender = (
  gate: ProbeGate,
  machineId: string | null,
  signal?: AbortSignal,
) => Promise<ProbeAnswer>;

/** The default sender over undici; tests pass the emulator's URL or a MockAgent as `dispatcher`. */
export function httpProbeSender(dispatcher?: Dispatcher): ProbeSender {
  return async (gate, machineId, signal) => {
    const timeout = AbortSignal.timeout(gate.timeoutMs);
    try {
      const response = await request(gate.url, {
        method: "GET",
        // Fly's proxy sends a request with this header to that machine only (flyctl: FLY_FORCE_INSTANCE_ID).
        headers: {
          "user-agent": "semfly-probe",
          ...(machineId ? { "fly-force-instance-id": machineId } : {}),
        },
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        ...(dispatcher ? { dispatcher } : {}),
      });
      let body = "";
      for await (const chunk of response.body) {
        if (body.length < MAX_BODY_BYTES) body += chunk.toString();
      }
      return { status: response.statusCode, body, error: null, machineId };
    } catch (error) {
      const why = timeout.aborted
        ? `no answer within ${gate.timeoutMs} ms`
        : redact(error instanceof Error ? error.message : String(error));
      return { status: null, body: "", error: why, machineId };
    }
  };
}
