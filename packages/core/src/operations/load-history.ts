import type { FlyClient } from "../fly/client.js";
import { buildVersionHistory, type VersionHistory } from "../versions/history.js";
import { loadReleases, type ReleaseCache } from "./release-cache.js";

/** What loading a history needs from the Fly client. */
export type HistoryClient = Pick<FlyClient, "allReleases" | "listMachines">;

export interface LoadHistoryOptions {
  signal?: AbortSignal | undefined;
  /** Leave the machines out (a releases-only view): one request fewer per page of history. */
  withMachines?: boolean;
  /** Keep finished releases between runs (see release-cache.ts). */
  cache?: ReleaseCache | undefined;
  /** The GraphQL endpoint the releases come from: part of the cache key. */
  endpoint?: string;
}

/** Fetch an app's releases and machines in parallel and build its version history. */
export async function loadVersionHistory(
  client: HistoryClient,
  app: string,
  options: LoadHistoryOptions = {},
): Promise<VersionHistory> {
  const call = { signal: options.signal };
  const [releases, machines] = await Promise.all([
    loadReleases(client, app, {
      cache: options.cache,
      endpoint: options.endpoint ?? "",
      signal: options.signal,
    }),
    options.withMachines === false ? Promise.resolve(null) : client.listMachines(app, call),
  ]);
  return buildVersionHistory({ app, releases, machines });
}
