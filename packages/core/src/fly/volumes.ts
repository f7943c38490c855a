/** Machines API volumes: list an app's volumes, snapshot one, list its snapshots (doc.json `Volumes_*`). */
import * as v from "valibot";
import type { CallOptions, FlyContext } from "./context.js";
import { refineMachineFailure } from "./machine-errors.js";
import { decode } from "./schemas.js";

/** doc.json `Volume`, the fields semfly reads. */
export interface FlyVolume {
  id: string;
  name: string;
  region: string;
  state: string;
  sizeGb: number | null;
  attachedMachineId: string | null;
}

/** doc.json `VolumeSnapshot`. */
export interface FlyVolumeSnapshot {
  id: string;
  status: string;
  createdAt: string | null;
  size: number | null;
  digest: string | null;
}

const VolumeSchema = v.looseObject({
  id: v.string(),
  name: v.optional(v.nullable(v.string())),
  region: v.optional(v.nullable(v.string())),
  state: v.optional(v.nullable(v.string())),
  size_gb: v.optional(v.nullable(v.number())),
  attached_machine_id: v.optional(v.nullable(v.string())),
});
const VolumeListSchema = v.array(VolumeSchema);

const SnapshotSchema = v.looseObject({
  id: v.string(),
  status: v.optional(v.nullable(v.string())),
  created_at: v.optional(v.nullable(v.string())),
  size: v.optional(v.nullable(v.number())),
  digest: v.optional(v.nullable(v.string())),
});
const SnapshotListSchema = v.array(SnapshotSchema);

function volumesUrl(ctx: FlyContext, app: string, path = ""): string {
  return `${ctx.endpoints.flapsBaseUrl}/v1/apps/${encodeURIComponent(app)}/volumes${path}`;
}

export async function listVolumes(
  ctx: FlyContext,
  app: string,
  options: CallOptions = {},
): Promise<FlyVolume[]> {
  const operation = "list volumes";
  const response = await ctx.http.send({
    operation,
    method: "GET",
    url: volumesUrl(ctx, app),
    authorization: ctx.authorization.machines,
    repeatable: true,
    limit: { action: "list_volumes", scope: `${app}/` },
    refine: refineMachineFailure(app, undefined),
    signal: options.signal,
  });
  return decode(operation, VolumeListSchema, response).map((wire) => ({
    id: wire.id,
    name: wire.name ?? "",
    region: wire.region ?? "",
    state: wire.state ?? "",
    sizeGb: wire.size_gb ?? null,
    attachedMachineId: wire.attached_machine_id ? wire.attached_machine_id : null,
  }));
}

export async function listVolumeSnapshots(
  ctx: FlyContext,
  app: string,
  volumeId: string,
  options: CallOptions = {},
): Promise<FlyVolumeSnapshot[]> {
  const operation = "list volume snapshots";
  const response = await ctx.http.send({
    operation,
    method: "GET",
    url: volumesUrl(ctx, app, `/${encodeURIComponent(volumeId)}/snapshots`),
    authorization: ctx.authorization.machines,
    repeatable: true,
    limit: { action: "list_volume_snapshots", scope: `${app}/${volumeId}` },
    refine: refineMachineFailure(app, undefined),
    signal: options.signal,
  });
  return decode(operation, SnapshotListSchema, response).map((wire) => ({
    id: wire.id,
    status: wire.status ?? "",
    createdAt: wire.created_at ?? null,
    size: wire.size ?? null,
    digest: wire.digest ?? null,
  }));
}

/** doc.json answers `createVolumeSnapshot` with a bare 200 and no body: the snapshot is found by listing. */
export async function createVolumeSnapshot(
  ctx: FlyContext,
  app: string,
  volumeId: string,
  options: CallOptions = {},
): Promise<void> {
  await ctx.http.send({
    operation: "snapshot a volume",
    method: "POST",
    url: volumesUrl(ctx, app, `/${encodeURIComponent(volumeId)}/snapshots`),
    authorization: ctx.authorization.machines,
    // A second snapshot is harmless but a blind resend could queue two: leave it to the caller.
    repeatable: false,
    limit: { action: "create_volume_snapshot", scope: `${app}/${volumeId}` },
    refine: refineMachineFailure(app, undefined),
    signal: options.signal,
  });
}
