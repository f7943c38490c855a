/**
 * Secrets (GraphQL `App.secrets { name digest createdAt }`) and volumes with snapshots (Machines API
 * `Volumes_list`, `createVolumeSnapshot`, `Volumes_list_snapshots`, doc.json `Volume`/`VolumeSnapshot`).
 * A volume counts as attached to the machine whose current `config.mounts` names it, as flyd attaches it.
 */

import { type RequestContext, type Route, sendEmpty, sendJson } from "./http.js";
import { opaqueId } from "./ids.js";
import type { AppRecord } from "./model.js";
import { currentMachineVersion } from "./model.js";
import { EmulatorError, type EmulatorState } from "./state.js";
import { iso, sha256Hex } from "./util.js";

export interface SecretSpec {
  name: string;
  /** Stands in for the value: the digest is derived from it, and it is never served. */
  value?: string;
  digest?: string;
  createdAt?: string;
}

export interface VolumeSpec {
  id?: string;
  name: string;
  region: string;
  sizeGb?: number;
  createdAt?: string;
}

export interface SecretRecord {
  id: string;
  name: string;
  digest: string;
  createdAt: string;
}

export interface VolumeSnapshotRecord {
  id: string;
  /** `creating` until the snapshot finishes, then `created`. */
  status: string;
  createdAt: string;
  size: number;
  digest: string;
}

export interface VolumeRecord {
  id: string;
  name: string;
  region: string;
  sizeGb: number;
  createdAt: string;
  snapshots: VolumeSnapshotRecord[];
}

/** How long a snapshot stays `creating`. */
export const SNAPSHOT_TIME_MS = 150;

const secretsByApp = new WeakMap<AppRecord, SecretRecord[]>();
const volumesByApp = new WeakMap<AppRecord, VolumeRecord[]>();

export function secretDigest(value: string): string {
  return sha256Hex(`secret:${value}`).slice(0, 16);
}

/** Loads a scenario app's `secrets` and `volumes`. */
export function loadAppStorage(
  state: EmulatorState,
  app: AppRecord,
  spec: { secrets?: SecretSpec[]; volumes?: VolumeSpec[] },
): void {
  for (const secret of spec.secrets ?? []) setSecret(state, app, secret);
  volumesByApp.set(
    app,
    (spec.volumes ?? []).map((v) => ({
      id: v.id ?? `vol_${opaqueId(state.ids, "", 14).toLowerCase()}`,
      name: v.name,
      region: v.region,
      sizeGb: v.sizeGb ?? 1,
      createdAt: v.createdAt ? iso(Date.parse(v.createdAt)) : state.nowIso(),
      snapshots: [],
    })),
  );
}

/** Sets (or replaces) a secret, as `fly secrets set` does: a new digest and a new time. */
export function setSecret(state: EmulatorState, app: AppRecord, spec: SecretSpec): SecretRecord {
  const secrets = appSecrets(app);
  const record: SecretRecord = {
    id: opaqueId(state.ids, "", 10),
    name: spec.name,
    digest: spec.digest ?? secretDigest(spec.value ?? spec.name),
    createdAt: spec.createdAt ? iso(Date.parse(spec.createdAt)) : state.nowIso(),
  };
  const at = secrets.findIndex((s) => s.name === spec.name);
  if (at >= 0) secrets[at] = record;
  else secrets.push(record);
  return record;
}

export function unsetSecret(app: AppRecord, name: string): boolean {
  const secrets = appSecrets(app);
  const at = secrets.findIndex((s) => s.name === name);
  if (at < 0) return false;
  secrets.splice(at, 1);
  return true;
}

export function appSecrets(app: AppRecord): SecretRecord[] {
  let secrets = secretsByApp.get(app);
  if (!secrets) {
    secrets = [];
    secretsByApp.set(app, secrets);
  }
  return secrets;
}

export function appVolumes(app: AppRecord): VolumeRecord[] {
  return volumesByApp.get(app) ?? [];
}

function attachedMachine(app: AppRecord, volumeId: string): string | null {
  for (const machine of app.machines.values()) {
    if (machine.state === "destroyed") continue;
    const mounts = currentMachineVersion(machine).config.mounts;
    if (Array.isArray(mounts) && mounts.some((m) => m && m.volume === volumeId)) return machine.id;
  }
  return null;
}

function volumeJson(app: AppRecord, volume: VolumeRecord) {
  const attached = attachedMachine(app, volume.id);
  return {
    id: volume.id,
    name: volume.name,
    state: "created",
    region: volume.region,
    zone: `${volume.region}1`,
    size_gb: volume.sizeGb,
    encrypted: true,
    fstype: "ext4",
    created_at: volume.createdAt,
    attached_machine_id: attached ?? "",
    attached_alloc_id: "",
    auto_backup_enabled: true,
    snapshot_retention: 5,
  };
}

function snapshotJson(snapshot: VolumeSnapshotRecord) {
  return {
    id: snapshot.id,
    status: snapshot.status,
    created_at: snapshot.createdAt,
    size: snapshot.size,
    digest: snapshot.digest,
  };
}

function requireVolume(app: AppRecord, id: string): VolumeRecord {
  const volume = appVolumes(app).find((v) => v.id === id);
  if (!volume) throw new EmulatorError(404, `volume ${id} not found`, "not_found");
  return volume;
}

function createSnapshot(state: EmulatorState, ctx: RequestContext, app: AppRecord, id: string) {
  const volume = requireVolume(app, id);
  const snapshot: VolumeSnapshotRecord = {
    id: `vs_${opaqueId(state.ids, "", 14).toLowerCase()}`,
    status: "creating",
    createdAt: state.nowIso(),
    size: volume.sizeGb * 1024 * 1024 * 1024,
    digest: sha256Hex(`${volume.id}:${volume.snapshots.length}`),
  };
  volume.snapshots.push(snapshot);
  state.schedule(() => {
    snapshot.status = "created";
  }, SNAPSHOT_TIME_MS);
  // doc.json: `200 OK` with no body.
  sendEmpty(ctx.res, 200);
}

/** Routes `/v1/apps/{app}/volumes…` (list; snapshots create and list). */
export function routeVolumes(state: EmulatorState, method: string, pathname: string): Route | null {
  const parts = pathname.split("/").map((p) => decodeURIComponent(p));
  // ["", "v1", "apps", app, "volumes", id?, "snapshots"?]
  if (parts[1] !== "v1" || parts[2] !== "apps" || parts[4] !== "volumes" || !parts[3]) return null;
  const appName = parts[3];
  const id = parts[5];
  if (id === undefined || id === "") {
    if (method !== "GET" || parts.length > 6) return null;
    return {
      service: "machines",
      operation: "volumes.list",
      mutating: false,
      rateLimitKey: `${appName}:volumes.list`,
      handle: (ctx) => {
        const app = state.app(appName);
        sendJson(
          ctx.res,
          200,
          appVolumes(app).map((v) => volumeJson(app, v)),
        );
      },
    };
  }
  if (parts[6] !== "snapshots" || parts.length > 7) return null;
  if (method === "POST") {
    return {
      service: "machines",
      operation: "volumes.snapshots.create",
      mutating: true,
      rateLimitKey: `${appName}:${id}:volumes.snapshots.create`,
      handle: (ctx) => createSnapshot(state, ctx, state.app(appName), id),
    };
  }
  if (method === "GET") {
    return {
      service: "machines",
      operation: "volumes.snapshots.list",
      mutating: false,
      rateLimitKey: `${appName}:${id}:volumes.snapshots.list`,
      handle: (ctx) =>
        sendJson(ctx.res, 200, requireVolume(state.app(appName), id).snapshots.map(snapshotJson)),
    };
  }
  return null;
}
