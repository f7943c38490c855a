import type { FlyEndpoints } from "./config.js";
import type { HttpTransport } from "./http.js";

/** What every operation module needs: the transport, where Fly lives, and the header for each service. */
export interface FlyContext {
  http: HttpTransport;
  endpoints: FlyEndpoints;
  authorization: { graphql: string; machines: string; releases: string };
}

/** Every client method accepts this as its last argument. */
export interface CallOptions {
  signal?: AbortSignal | undefined;
}
