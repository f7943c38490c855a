import type { FlyEndpoints } from "./config.js";
import type { HttpTransport } from "./http.js";
import type { CallRetry } from "./retry.js";

/** What every operation module needs: the transport, where Fly lives, and the header for each service. */
export interface FlyContext {
  http: HttpTransport;
  endpoints: FlyEndpoints;
  authorization: { graphql: string; machines: string; releases: string };
}

/** Every client method accepts this as its last argument. */
export interface CallOptions {
  signal?: AbortSignal | undefined;
  /** This call's override of the client's retry policy. */
  retry?: CallRetry | undefined;
  /**
   * Aborts the call only while it waits for a rate-limit slot, before anything is sent: for a call that
   * must not be cut off once sent (a create whose answer is lost may have launched a machine).
   */
  queueSignal?: AbortSignal | undefined;
}
