import type { FlyClient } from "../fly/client.js";
import { buildVersionHistory, type VersionHistory } from "../versions/history.js";
import { type ImageLabelSource, releaseConfigLabelSource } from "./image-labels.js";
import { ImageLabelLoader } from "./label-loader.js";
import { loadReleases, type ReleaseCache } from "./release-cache.js";

/** What loading a history needs from the Fly client. */
export type HistoryClient = Pick<FlyClient, "allReleases" | "listMachines" | "releaseImageLabels">;

export interface LoadHistoryOptions {
  signal?: AbortSignal | undefined;
  /** Leave the machines out (a releases-only view): one request fewer per page of history. */
  withMachines?: boolean;
  /** Keep finished releases (and image labels) between runs (see release-cache.ts). */
  cache?: ReleaseCache | undefined;
  /** The GraphQL endpoint the releases come from: part of the cache key. */
  endpoint?: string;
  /**
   * Where labels of images that only their labels can version come from; default: each release's image
   * config over GraphQL. `false` reads no labels beyond what machines report.
   */
  labels?: ImageLabelSource | false | undefined;
}

/**
 * Fetch an app's releases and machines in parallel and build its version history. Labels of unversioned
 * images are asked for while the pages come in, once per digest ever (the cache keeps them).
 */
export async function loadVersionHistory(
  client: HistoryClient,
  app: string,
  options: LoadHistoryOptions = {},
): Promise<VersionHistory> {
  const call = { signal: options.signal };
  const endpoint = options.endpoint ?? "";
  const source = options.labels === undefined ? releaseConfigLabelSource(client) : options.labels;
  const labels = source
    ? new ImageLabelLoader(app, source, { cache: options.cache, endpoint, signal: options.signal })
    : null;
  const [releases, machines] = await Promise.all([
    (labels ? labels.start() : Promise.resolve()).then(() =>
      loadReleases(client, app, {
        cache: options.cache,
        endpoint,
        signal: options.signal,
        onPage: labels ? (page) => labels.offer(page) : undefined,
      }),
    ),
    options.withMachines === false
      ? Promise.resolve(null)
      : client.listMachines(app, call).then((machines) => {
          labels?.machinesArrived(machines);
          return machines;
        }),
  ]);
  const found = labels ? await labels.finish(releases, machines) : null;
  const history = buildVersionHistory({
    app,
    releases,
    machines,
    labelsByDigest: found?.labelsByDigest ?? {},
  });
  if (found?.warning) history.warnings.push(found.warning);
  return history;
}
