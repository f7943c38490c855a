import type { RollbackableMarker, VersionHistory } from "@semfly/core";
import type { Connection } from "./base-command.js";

/**
 * The rollbackable marker of each version, as `semfly versions` and MCP `list_versions` show it: machines
 * and the image-answer cache first, the registry for the rest (none with `noRequests`).
 */
export function loadMarkers(
  { core, client, registry, endpoint }: Connection,
  history: VersionHistory,
  options: { now: number; noRequests?: boolean; signal?: AbortSignal },
): Promise<RollbackableMarker[]> {
  return core.loadRollbackableMarkers(client, history, {
    registry,
    cache: process.env.SEMFLY_NO_CACHE
      ? undefined
      : core.createFileImageAnswerCache(core.defaultCacheDir(process.env)),
    endpoint,
    now: options.now,
    noRequests: options.noRequests ?? false,
    signal: options.signal,
  });
}
