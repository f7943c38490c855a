import type { FlyClient } from "../fly/client.js";
import { buildVersionHistory, isAppMachine, type VersionHistory } from "../versions/history.js";

/** What `status` shows: what runs where, and which version is live. No list of past versions. */
export type AppStatus = Pick<
  VersionHistory,
  | "app"
  | "live"
  | "currentRelease"
  | "machines"
  | "unmanaged"
  | "drift"
  | "driftGroups"
  | "placements"
>;

export type StatusClient = Pick<FlyClient, "listMachines" | "releasesByVersion">;

/** The release numbers the app's machines say they run (`config.metadata.fly_release_version`). */
function releasesRunBy(machines: Awaited<ReturnType<FlyClient["listMachines"]>>): number[] {
  const numbers = new Set<number>();
  for (const machine of machines.filter(isAppMachine)) {
    const text = machine.metadata.fly_release_version;
    const number = text && /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (Number.isSafeInteger(number) && number > 0) numbers.add(number);
  }
  return [...numbers].sort((a, b) => a - b);
}

/**
 * An app's status from its machines and only the releases they run (plus the current release): two
 * requests whatever the length of its history. The machines decide what runs; the releases name it.
 */
export async function loadAppStatus(
  client: StatusClient,
  app: string,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<AppStatus> {
  const call = { signal: options.signal };
  const machines = await client.listMachines(app, call);
  const { currentRelease, releases } = await client.releasesByVersion(
    app,
    releasesRunBy(machines),
    call,
  );
  const known = new Map(releases);
  if (currentRelease) known.set(currentRelease.version, currentRelease);
  const history = buildVersionHistory({
    app,
    releases: [...known.values()],
    machines,
    currentRelease,
  });
  return {
    app,
    live: history.live,
    currentRelease: history.currentRelease,
    machines: history.machines,
    unmanaged: history.unmanaged,
    drift: history.drift,
    driftGroups: history.driftGroups,
    placements: history.placements,
  };
}
