/** Fly's wire `Machine` → semfly's `FlyMachine`. */
import type { FlyMachine, ImageRef, MachineConfig, MachineEvent } from "../versions/types.js";
import { malformedResponse } from "./fly-errors.js";
import type { MachineEventWire, MachineWire } from "./schemas.js";

type ImageRefWire = NonNullable<MachineWire["image_ref"]>;

function orNull(value: string | null | undefined): string | null {
  return value ? value : null;
}

function toImageRef(wire: ImageRefWire | null | undefined): ImageRef | null {
  if (!wire) return null;
  return {
    registry: wire.registry ?? "",
    repository: wire.repository ?? "",
    tag: orNull(wire.tag),
    digest: orNull(wire.digest),
    labels: wire.labels ?? {},
  };
}

/** flyctl's rule: `fly_process_group`, else the legacy `process_group`, else `app`. */
export function processGroupOf(metadata: Record<string, string>): string {
  return metadata.fly_process_group || metadata.process_group || "app";
}

export function toFlyMachine(wire: MachineWire, operation: string, requestId?: string): FlyMachine {
  // An unreachable host reports `incomplete_config` instead of `config`; it is the best view there is.
  const config = (wire.config ?? wire.incomplete_config) as MachineConfig | null | undefined;
  if (!config) {
    throw malformedResponse(operation, `machine ${wire.id} has no config`, requestId, undefined);
  }
  const metadata = config.metadata ?? {};
  return {
    id: wire.id,
    name: wire.name ?? "",
    region: wire.region ?? "",
    state: wire.state,
    processGroup: processGroupOf(metadata),
    instanceId: wire.instance_id || wire.version || "",
    image: config.image,
    imageRef: toImageRef(wire.image_ref),
    metadata,
    checks: (wire.checks ?? []).map((check) => ({
      name: check.name ?? "",
      status: check.status ?? "",
      output: check.output ?? "",
      updatedAt: orNull(check.updated_at),
    })),
    ...(wire.checks === undefined ? { checksOmitted: true } : {}),
    config,
    updatedAt: orNull(wire.updated_at),
    ...(wire.host_status ? { hostStatus: wire.host_status } : {}),
    ...(!wire.config && wire.incomplete_config ? { configIncomplete: true } : {}),
    ...(wire.events ? { events: wire.events.map(toMachineEvent) } : {}),
  };
}

export function toMachineEvent(wire: MachineEventWire): MachineEvent {
  const exit = wire.request?.exit_event;
  return {
    type: wire.type ?? "",
    status: wire.status ?? "",
    source: wire.source ?? "",
    timestamp: wire.timestamp ?? 0,
    exit: exit
      ? {
          exitCode: exit.exit_code ?? exit.guest_exit_code ?? null,
          requestedStop: exit.requested_stop === true,
          restarting: exit.restarting === true,
        }
      : null,
    restartCount: wire.request?.restart_count ?? null,
  };
}
