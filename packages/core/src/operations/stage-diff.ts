/** `semfly diff --app APP --against STAGING`: the live versions of two apps (two stages) side by side. */
import { inputError } from "../errors.js";
import { diffVersions, type VersionDiff } from "../versions/diff.js";
import type { VersionHistory } from "../versions/history.js";
import type { MachineConfig } from "../versions/types.js";
import { type ConfigClient, readDeployConfigs } from "./config.js";
import { registryLabels } from "./diff.js";
import { type HistoryClient, loadVersionHistory } from "./load-history.js";
import type { PrepareClient } from "./prepare.js";

export interface StageDiff extends VersionDiff {
  /** The app compared against (side b); side a is `app`. */
  against: string;
}

/** What an app's `app` process group runs now: the config its live version runs with. */
function liveConfig(history: VersionHistory): MachineConfig | null {
  const live = history.live;
  if (!live) return null;
  const machines = history.machines.filter((m) => m.key === live.key);
  const pick = machines.find((m) => m.machine.processGroup === "app") ?? machines[0];
  return pick?.machine.config ?? null;
}

export async function loadStageDiff(
  client: HistoryClient & ConfigClient & Pick<PrepareClient, "resolveImage">,
  app: string,
  against: string,
  options: { history?: VersionHistory | undefined; signal?: AbortSignal | undefined } = {},
): Promise<StageDiff> {
  const call = { signal: options.signal };
  const [here, there] = await Promise.all([
    options.history ?? loadVersionHistory(client, app, call),
    loadVersionHistory(client, against, call),
  ]);
  for (const history of [here, there]) {
    if (!history.live) {
      throw inputError(
        "NO_LIVE_VERSION",
        `${history.app} has no live version to compare.`,
        "Deploy a version there first.",
      );
    }
  }
  const a = here.live!;
  const b = there.live!;
  const [labelsA, labelsB, appConfigs] = await Promise.all([
    registryLabels(client, app, a, options.signal),
    registryLabels(client, against, b, options.signal),
    // Each live version's fly.toml from its own app's deploy release: the same source as `config`.
    readDeployConfigs(
      client,
      [
        { app, entry: a },
        { app: against, entry: b },
      ],
      options.signal,
    ),
  ]);
  const configA = liveConfig(here);
  const configB = liveConfig(there);
  const diff = diffVersions({
    history: here,
    a,
    b,
    configs: { a: configA, b: configB },
    labels: { a: labelsA, b: labelsB },
    appConfigs: { a: appConfigs[0]!, b: appConfigs[1]! },
  });
  // Release numbers of two apps do not line up: there is no release range between them.
  return { ...diff, against, releasesBetween: [] };
}
