/**
 * The emulator's state and Fly's wire shapes. Wire types (snake_case for the Machines API and the
 * release REST API) follow doc.json `Machine`/`ImageRef`/`CheckStatus`/`MachineEvent`/`Lease` and
 * the docs' example responses; records are the emulator's own bookkeeping.
 */

export type Service = "graphql" | "machines" | "releases" | "metrics" | "proxy" | "registry";

/** GraphQL `DeploymentStrategy`. */
export type DeploymentStrategy =
  | "BLUEGREEN"
  | "CANARY"
  | "IMMEDIATE"
  | "ROLLING"
  | "ROLLING_ONE"
  | "SIMPLE";
export const DEPLOYMENT_STRATEGIES: readonly DeploymentStrategy[] = [
  "BLUEGREEN",
  "CANARY",
  "IMMEDIATE",
  "ROLLING",
  "ROLLING_ONE",
  "SIMPLE",
];

/** `fly.MachineConfig`: kept as JSON; only `image`, `metadata`, `checks`, `services` are read. */
export interface MachineConfigJson {
  image?: string;
  metadata?: Record<string, string> | null;
  env?: Record<string, string>;
  /** Machine ids this standby watches. */
  standbys?: string[];
  checks?: Record<string, MachineCheckConfigJson>;
  services?: Array<{
    internal_port?: number;
    checks?: MachineCheckConfigJson[];
    [key: string]: unknown;
  }>;
  [key: string]: unknown;
}

/** `fly.MachineCheck`. */
export interface MachineCheckConfigJson {
  type?: string;
  port?: number;
  path?: string;
  method?: string;
  [key: string]: unknown;
}

/** `ImageRef`. */
export interface ImageRefJson {
  registry: string;
  repository: string;
  tag: string;
  digest: string;
  labels: Record<string, string>;
}

/** `CheckStatus`. */
export interface CheckStatusJson {
  name: string;
  status: "passing" | "warning" | "critical";
  output: string;
  updated_at: string;
}

/** fly-go `MachineExitEvent` (the `request.exit_event` of an `exit` event). */
export interface MachineExitEventJson {
  exit_code: number;
  guest_exit_code: number;
  guest_signal: number;
  oom_killed: boolean;
  requested_stop: boolean;
  restarting: boolean;
  signal: number;
  exited_at: string;
}

/** `MachineEvent` (doc.json; `request` as fly-go's `MachineRequest`). Newest first on the wire. */
export interface MachineEventJson {
  id: string;
  type: string;
  status: string;
  source: string;
  timestamp: number;
  request?: { exit_event?: MachineExitEventJson; restart_count?: number };
}

export type HostStatus = "ok" | "unknown" | "unreachable";

/** The `data` of a lease response (`Lease` plus the `description` the docs example shows). */
export interface LeaseJson {
  nonce: string;
  expires_at: number;
  owner: string;
  description: string;
  version: string;
}

/** `Machine`, as the Machines API returns it. */
export interface MachineJson {
  id: string;
  name: string;
  state: string;
  region: string;
  image_ref: ImageRefJson;
  instance_id: string;
  version: string;
  private_ip: string;
  created_at: string;
  updated_at: string;
  config?: MachineConfigJson;
  /** Instead of `config` when `host_status` is not `ok` (fly-go: "not suitable to clone or recreate"). */
  incomplete_config?: MachineConfigJson;
  events?: MachineEventJson[];
  checks?: CheckStatusJson[];
  host_status: HostStatus;
  cordoned: boolean;
  nonce?: string;
  lease?: LeaseJson;
}

/** The REST ("uiex") release JSON. */
export interface RestReleaseJson {
  id: string;
  version: number;
  stable: boolean;
  in_progress: boolean;
  status: string;
  strategy: string;
  user: string;
  created_at: string;
  image_ref: string | null;
  description: string;
  reason: string;
  metadata: Record<string, unknown> | null;
}

export type NeverStarts = false | "fail" | "hang";

export interface ImageRecord {
  /** The tag ref it was pushed as, e.g. `registry.fly.io/acme-web:3.1.12`. */
  ref: string;
  registry: string;
  repository: string;
  tag: string | null;
  digest: string;
  labels: Record<string, string>;
  createdAt: string;
  sizeBytes: number;
  /** Machines running it fail their health checks (`critical`). */
  bad: boolean;
  /** Machines booting it never reach `started`: `fail` → `failed`, `hang` → stay `replacing`/`starting`. */
  neverStarts: NeverStarts;
  /** Its main process keeps exiting with this code while flyd restarts it (null: it does not crash). */
  crashExitCode: number | null;
  /** The exit code of a release command run on it (0: succeeds). */
  releaseCommandExitCode: number;
}

export interface UserRecord {
  id: string;
  email: string;
  name: string | null;
}

export interface ReleaseRecord {
  id: string;
  version: number;
  status: string;
  stable: boolean;
  reason: string;
  description: string;
  userEmail: string | null;
  imageRef: string | null;
  strategy: DeploymentStrategy;
  createdAt: string;
  updatedAt: string;
  metadata: Record<string, unknown> | null;
  definition: unknown;
  evaluationId: string | null;
  revertedTo: number | null;
  buildId: string | null;
}

export interface MachineVersionRecord {
  version: string;
  config: MachineConfigJson;
  imageRef: ImageRefJson;
  createdAt: string;
}

export interface LeaseRecord {
  nonce: string;
  owner: string;
  description: string;
  /** Unix seconds, as Fly's `expires_at`. */
  expiresAt: number;
  version: string;
}

export interface MachineRecord {
  id: string;
  appName: string;
  name: string;
  region: string;
  state: string;
  createdAt: string;
  updatedAt: string;
  privateIp: string;
  /** Config history, oldest first; the last one is current. */
  versions: MachineVersionRecord[];
  checks: CheckStatusJson[];
  events: MachineEventJson[];
  lease: LeaseRecord | null;
  /** Bumped on every lifecycle change so stale boot/check timers do nothing. */
  generation: number;
  hostStatus: HostStatus;
  cordoned: boolean;
  /** Restarts flyd made since the last user-requested boot (crash loops). */
  restartCount: number;
}

/** flaps' fake `bg_deployments_compat*` checks (for old flyctl); `null`: not inserted. */
export interface CompatChecks {
  names: string[];
  status: CheckStatusJson["status"];
}

export interface AppRecord {
  id: string;
  name: string;
  internalId: string;
  organization: { id: string; slug: string; name: string };
  createdAt: string;
  /** Machines without `config.checks` get one default service check. */
  defaultCheck: boolean;
  /** Overrides the emulator's `checkDelayMs` for this app's machines. */
  checkDelayMs: number | null;
  /** Each further check reports this long after the previous one (0: all at once). */
  checkStaggerMs: number;
  compatChecks: CompatChecks | null;
  /** Where a machine created without `region` goes. */
  primaryRegion: string;
  images: ImageRecord[];
  /** Oldest first (ascending version). */
  releases: ReleaseRecord[];
  machines: Map<string, MachineRecord>;
}

export const FINISHED_RELEASE_STATUSES = new Set([
  "complete",
  "failed",
  "interrupted",
  "succeeded",
  "cancelled",
]);

export function currentMachineVersion(machine: MachineRecord): MachineVersionRecord {
  const current = machine.versions[machine.versions.length - 1];
  if (!current) throw new Error(`machine ${machine.id} has no config version`);
  return current;
}

/** The release Fly reports as current: the newest successfully finished one. */
export function currentRelease(app: AppRecord): ReleaseRecord | null {
  for (let i = app.releases.length - 1; i >= 0; i--) {
    const release = app.releases[i];
    if (release && (release.status === "complete" || release.status === "succeeded"))
      return release;
  }
  return null;
}
