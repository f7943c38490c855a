/**
 * The plain data the version model works on. The Fly client produces these from Fly's wire format
 * (GraphQL `Release`, Machines API `Machine`); field meanings follow Fly's names.
 */

/** A Fly release (GraphQL `Release`), one of v1, v2, v3… */
export interface FlyRelease {
  /** GraphQL node id (used by the release REST API as `release_id`). */
  id: string;
  /** Fly's release number: the N of vN. */
  version: number;
  /** `pending`, `running`, `complete`, `failed`, `interrupted`; Nomad-era `succeeded`, `cancelled`. */
  status: string;
  stable: boolean;
  /** e.g. `deploy`, `scale`, `secrets`, `rollback`. */
  reason: string;
  description: string;
  /** The email of the user who made the release, when Fly says. */
  user: string | null;
  /** RFC 3339. */
  createdAt: string;
  /** The deployed image string, tag or digest form. */
  imageRef: string | null;
  /** `Release.image.digest`, when Fly still has the image. */
  imageDigest: string | null;
  /** `Release.metadata` (JSON); semfly writes under the `semfly` key. */
  metadata: Record<string, unknown> | null;
}

/** A machine's `image_ref`. */
export interface ImageRef {
  registry: string;
  repository: string;
  tag: string | null;
  digest: string | null;
  labels: Record<string, string>;
}

/** One entry of a machine's `checks`. */
export interface MachineCheck {
  name: string;
  /** `passing`, `warning` or `critical`. */
  status: string;
  output: string;
  updatedAt: string | null;
}

/** A machine's `config`, kept whole: a rollback sends it back with only the image and release keys changed. */
export interface MachineConfig {
  image: string;
  metadata?: Record<string, string> | null;
  [key: string]: unknown;
}

/** A Fly Machine (Machines API `Machine`). */
export interface FlyMachine {
  id: string;
  name: string;
  region: string;
  /** `created`, `started`, `stopped`, `suspended`, `replacing`, … */
  state: string;
  /** `config.metadata.fly_process_group`, else `app`. */
  processGroup: string;
  /** `instance_id`: the machine's current config version. */
  instanceId: string;
  /** `config.image`: the exact string deployed. */
  image: string;
  imageRef: ImageRef | null;
  /** `config.metadata`. */
  metadata: Record<string, string>;
  checks: MachineCheck[];
  /** True when Fly's answer had no `checks` field at all (a summary): it says nothing about them. */
  checksOmitted?: boolean;
  config: MachineConfig;
  updatedAt: string | null;
  /** `host_status`: `ok`, `unknown` or `unreachable`; absent when Fly did not say. */
  hostStatus?: string;
  /** True when Fly sent `incomplete_config` (host unreachable): never to be sent back as an update. */
  configIncomplete?: boolean;
  /** `Machine.events`, newest first, when Fly sent them (flyctl reads crash loops from these). */
  events?: MachineEvent[];
}

/** One entry of `GET …/machines/{id}/events` (fly-go `MachineEvent`). */
export interface MachineEvent {
  type: string;
  status: string;
  source: string;
  /** Unix milliseconds. */
  timestamp: number;
  /** For `exit` events: what ended the process. */
  exit: {
    exitCode: number | null;
    requestedStop: boolean;
    restarting: boolean;
  } | null;
  restartCount: number | null;
}
