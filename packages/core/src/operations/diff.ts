/** `semfly diff A B`: the I/O around the pure diff in versions/diff.ts (labels, configs, fly.tomls). */
import { newestConfigThatRan } from "../versions/config-match.js";
import { diffVersions, type VersionDiff } from "../versions/diff.js";
import type { VersionEntry, VersionHistory } from "../versions/history.js";
import { digestReference } from "../versions/image-ref.js";
import { lookupVersion } from "../versions/target.js";
import type { MachineConfig } from "../versions/types.js";
import { type ConfigClient, readDeployConfigs } from "./config.js";
import { type HistoryClient, loadVersionHistory } from "./load-history.js";
import type { MachineVersionsClient, PrepareClient } from "./prepare.js";

/** Machines whose history is searched for configs, at most: each costs one request. */
const MAX_MACHINES_SEARCHED = 5;

/**
 * One config that ran each version, from the machines' version histories. Both from the same machine when
 * one machine ran both (so the diff shows the version's change, not two machines' differences).
 */
export async function findVersionConfigs(
  client: MachineVersionsClient,
  history: VersionHistory,
  a: VersionEntry,
  b: VersionEntry,
  signal?: AbortSignal,
): Promise<{ a: MachineConfig | null; b: MachineConfig | null }> {
  const candidates = [...history.machines]
    .sort(
      (x, y) =>
        Number(y.machine.processGroup === "app") - Number(x.machine.processGroup === "app") ||
        x.machine.id.localeCompare(y.machine.id),
    )
    .slice(0, MAX_MACHINES_SEARCHED);
  let found: { a: MachineConfig | null; b: MachineConfig | null } = { a: null, b: null };
  for (const { machine } of candidates) {
    const versions = await client.listMachineVersions(history.app, machine.id, { signal });
    const configA = newestConfigThatRan(versions, a);
    const configB = newestConfigThatRan(versions, b);
    if (configA && configB) return { a: configA, b: configB };
    found = { a: found.a ?? configA, b: found.b ?? configB };
  }
  return found;
}

export interface LoadVersionDiffOptions {
  a: string;
  /** Defaults to the live version. */
  b?: string | undefined;
  /** Look up image labels in the registry (one request per version). Default true. */
  withLabels?: boolean | undefined;
  /** Look up machine configs (one request per machine searched) and fly.tomls (one per version). Default true. */
  withConfig?: boolean | undefined;
  history?: VersionHistory | undefined;
  signal?: AbortSignal | undefined;
}

/** An image's labels as the registry has them; {} when the image is unknown or pruned. */
export async function registryLabels(
  client: Pick<PrepareClient, "resolveImage">,
  app: string,
  entry: VersionEntry,
  signal?: AbortSignal,
): Promise<Record<string, string>> {
  if (!entry.imageRef) return {};
  // By digest when known, so a moved tag cannot answer for another image.
  const ref = entry.digest ? digestReference(entry.imageRef, entry.digest) : entry.imageRef;
  const image = await client.resolveImage(app, ref, { signal });
  return image?.labels ?? {};
}

/** Load the history, find both versions, their labels and (by default) a config for each, and diff them. */
export async function loadVersionDiff(
  client: HistoryClient &
    MachineVersionsClient &
    ConfigClient &
    Pick<PrepareClient, "resolveImage">,
  app: string,
  options: LoadVersionDiffOptions,
): Promise<VersionDiff> {
  const history =
    options.history ?? (await loadVersionHistory(client, app, { signal: options.signal }));
  const a = lookupVersion(history, options.a);
  const b = lookupVersion(history, options.b ?? "live");
  const [labelsA, labelsB, configs, appConfigs] = await Promise.all([
    options.withLabels === false ? {} : registryLabels(client, app, a, options.signal),
    options.withLabels === false ? {} : registryLabels(client, app, b, options.signal),
    options.withConfig === false
      ? undefined
      : findVersionConfigs(client, history, a, b, options.signal),
    options.withConfig === false
      ? undefined
      : readDeployConfigs(
          client,
          [
            { app, entry: a },
            { app, entry: b },
          ],
          options.signal,
        ),
  ]);
  return diffVersions({
    history,
    a,
    b,
    configs,
    labels: { a: labelsA, b: labelsB },
    appConfigs: appConfigs ? { a: appConfigs[0]!, b: appConfigs[1]! } : undefined,
  });
}
