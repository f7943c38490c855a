import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { SecretSpec, VolumeSpec } from "./app-storage.js";
import type {
  CheckStatusJson,
  DeploymentStrategy,
  HostStatus,
  MachineConfigJson,
} from "./model.js";
import type { DigestRefAnswer, RegistrySpec } from "./oci-registry.js";
import type { AppTraffic, ImageTraffic } from "./traffic.js";
import { sha1Hex, sha256Hex } from "./util.js";

/**
 * A scenario: the starting state of the emulated Fly account, as plain JSON (see README.md,
 * "Scenario format"). Everything except `apps[].name` has a default.
 */
export interface Scenario {
  name?: string;
  /** Seed for ids, fault draws and jitter (overridden by `startEmulator({seed})`). */
  seed?: number;
  /** Accepted tokens; a bare string belongs to the first user. The first token is `emulator.token`. */
  tokens?: Array<string | { token: string; user?: string }>;
  users?: Array<{ email: string; name?: string | null; id?: string }>;
  apps: AppSpec[];
  /** External registries (Docker Hub, GHCR stand-ins) and extra images, with who may pull them (oci-registry.ts). */
  registries?: RegistrySpec[];
  /** How GraphQL `app.image` answers digest refs: uncertain on real Fly (default `resolves`). */
  imageDigestRefs?: DigestRefAnswer;
}

export interface AppSpec {
  name: string;
  id?: string;
  internalId?: string;
  organization?: { slug: string; name?: string; id?: string };
  createdAt?: string;
  /** Machines without `config.checks` or service checks get one default check. */
  defaultCheck?: boolean;
  /** After a machine reaches `started`, its first check result appears this late (default: the emulator's `checkDelayMs`). */
  checkDelayMs?: number;
  /** Each further configured check reports this long after the previous one (default 0: all at once). */
  checkStaggerMs?: number;
  /**
   * flaps' fake `bg_deployments_compat*` checks in every response for a started machine that has checks
   * (fly-go strips them). `true` = one `bg_deployments_compat` check, `passing` from the moment it starts.
   */
  compatChecks?: boolean | { names?: string[]; status?: CheckStatusJson["status"] };
  /** fly.toml `primary_region`; where a machine created without `region` goes. Default: the first machine's region, else `ams`. */
  primaryRegion?: string;
  /** fly.toml `deploy.release_command`, put into the derived release definitions. */
  releaseCommand?: string;
  /** The app config every release carries unless it gives its own; default: derived from `machineConfig`. */
  definition?: Record<string, unknown>;
  /** Base machine config per process group (`app`, `worker`, …), merged under each machine's config. */
  machineConfig?: Record<string, MachineConfigJson>;
  /** The app's registry table. An image missing here is "pruned": releases may still name it. */
  images?: ImageSpec[];
  releases?: ReleaseSpec[];
  machines?: MachineSpec[];
  /** Requests per second per started machine, and the metrics' lag (see traffic.ts). */
  traffic?: AppTraffic;
  /** GraphQL `App.secrets`: names and digests (app-storage.ts). */
  secrets?: SecretSpec[];
  /** Volumes; attached to the machine whose `config.mounts` names the id (app-storage.ts). */
  volumes?: VolumeSpec[];
}

export interface ImageSpec {
  /** Tag ref, e.g. `registry.fly.io/acme-web:3.1.12`. Also reachable as `registry.fly.io/acme-web@<digest>`. */
  ref: string;
  /** `sha256:<64 hex>`; derived from the ref when absent. */
  digest?: string;
  /** OCI labels (`org.opencontainers.image.version`, `.source`, `.revision`, …). */
  labels?: Record<string, string>;
  createdAt?: string;
  sizeBytes?: number;
  /** Health checks of machines running it go `critical`. */
  bad?: boolean;
  /** Machines booting it never reach `started` (`true`/`"fail"` → `failed`; `"hang"` → stuck). */
  neverStarts?: boolean | "fail" | "hang";
  /** How machines running it answer traffic: their 5xx share, what a probe gets (see traffic.ts). */
  traffic?: ImageTraffic;
  /**
   * Its main process crashes soon after every start and flyd restarts it: the machine stays `started`
   * while `exit` events with a non-zero code pile up (`true` = exit code 1, or the code).
   */
  crashLoop?: boolean | number;
  /** A release command run on it exits non-zero (`true` = 1, or the code). Default: it exits 0. */
  releaseCommandFails?: boolean | number;
}

export interface ReleaseSpec {
  version: number;
  id?: string;
  /** Default `complete`. */
  status?: string;
  /** Default: `status === "complete"`. */
  stable?: boolean;
  /** Default `deploy`. */
  reason?: string;
  description?: string;
  /** The user's email. */
  user?: string | null;
  /** The deployed image ref (`imageRef`); default: the previous release's. */
  image?: string | null;
  strategy?: DeploymentStrategy;
  createdAt?: string;
  updatedAt?: string;
  metadata?: Record<string, unknown> | null;
  /** The app config (fly.toml as JSON); default: the app's `definition`, else one derived from `machineConfig`. `null`: none. */
  definition?: unknown;
  revertedTo?: number | null;
}

export interface MachineSpec {
  id?: string;
  name?: string;
  region: string;
  /** Default `app`. */
  processGroup?: string;
  /** Default `started`. */
  state?: string;
  createdAt?: string;
  /** Merged over `machineConfig[processGroup]` for every version. */
  config?: MachineConfigJson;
  /** Config history, oldest first; a number is a release version. Default: `[release]`. */
  versions?: Array<number | MachineVersionSpec>;
  /** Shorthand for `versions: [release]`; default: the current release. */
  release?: number;
  /** Current check results. Default: `passing` (or `critical` if the image is bad). */
  checks?: "passing" | "warning" | "critical" | "none";
  /** A lease already held on the machine (by someone else). */
  lease?: { owner: string; ttlSeconds?: number; description?: string; nonce?: string };
  /** `config.metadata.fly_platform_version`; default `v2`; `null` leaves it out (not a Fly Launch machine). */
  platformVersion?: string | null;
  /** Write the group as the legacy `metadata.process_group` instead of `fly_process_group`. */
  legacyProcessGroup?: boolean;
  /** A machine made outside Fly Launch (`fly machine run`): no `fly_*` metadata at all. */
  unmanaged?: boolean;
  /** `host_status`; `unreachable` answers with `incomplete_config` and refuses leases and changes (503). */
  hostStatus?: HostStatus;
  /**
   * A standby (`config.standbys`, env `FLY_STANDBY_FOR`), `stopped` unless `state` says otherwise: `true`
   * = standby for the first machine of its group listed before it, or the ids it watches.
   */
  standby?: boolean | string[];
  cordoned?: boolean;
}

export interface MachineVersionSpec {
  /** The release whose image and `fly_release_*` metadata this version carries. */
  release?: number;
  /** Overrides the release's image. */
  image?: string;
  config?: MachineConfigJson;
  createdAt?: string;
  /** The version id (ULID); generated when absent. */
  version?: string;
}

/** Deterministic fake digest for a ref (so scenarios can omit digests). */
export function digestFor(ref: string): string {
  return `sha256:${sha256Hex(`image:${ref}`)}`;
}

/** Deterministic fake git revision (40 hex) for a version of an app. */
export function revisionFor(app: string, version: string): string {
  return sha1Hex(`${app}@${version}`);
}

const BUNDLED = new Set(["demo", "real-app"]);

/** Reads a bundled scenario (`demo`, `real-app`) or a scenario JSON file. */
export async function loadScenario(nameOrPath: string): Promise<Scenario> {
  const url = BUNDLED.has(nameOrPath)
    ? new URL(`../scenarios/${nameOrPath}.json`, import.meta.url)
    : nameOrPath;
  const parsed = JSON.parse(await readFile(url, "utf8")) as Scenario;
  if (!parsed || !Array.isArray(parsed.apps)) {
    throw new Error(`scenario ${nameOrPath}: expected an object with an "apps" array`);
  }
  return parsed;
}

export interface ScenarioImageOptions {
  /** Docker tag; default: the version (pass `v3.1.11` for a v-prefixed tag). */
  tag?: string;
  digest?: string;
  labels?: Record<string, string>;
  createdAt?: string;
  bad?: boolean;
  neverStarts?: boolean | "fail" | "hang";
  crashLoop?: boolean | number;
  releaseCommandFails?: boolean | number;
}

export interface ScenarioReleaseOptions extends Omit<ReleaseSpec, "version" | "image"> {
  version?: number;
  /** An image version registered with `.image()`, or a full ref; default: the previous release's image. */
  image?: string | null;
}

export interface ScenarioMachinesOptions extends Omit<MachineSpec, "region"> {
  region?: string;
  /** Machines are spread over these regions in turn. */
  regions?: string[];
}

/** A small typed builder for test scenarios: `scenario("acme").image("1.0.0").release({image: "1.0.0"}).machines(2)`. */
/**
 * A scenario's token unless one is given: ends in characters no message contains, because clients redact
 * any long head or tail of a token they hold (a token ending in the app's name would redact the name).
 */
function defaultToken(appName: string): string {
  return `fm2_test_${appName}_${createHash("sha256").update(appName).digest("hex").slice(0, 12)}`;
}

export class ScenarioBuilder {
  private readonly app: AppSpec;
  private readonly spec: Scenario;
  private readonly imageRefs = new Map<string, string>();
  private clockMs = Date.parse("2025-01-06T09:00:00Z");

  constructor(
    appName: string,
    options: { org?: string; token?: string; user?: string; seed?: number } = {},
  ) {
    const user = options.user ?? `deployer@${appName}.test`;
    this.app = {
      name: appName,
      organization: { slug: options.org ?? "personal" },
      images: [],
      releases: [],
      machines: [],
      machineConfig: {
        app: {
          guest: { cpu_kind: "shared", cpus: 1, memory_mb: 256 },
          services: [
            {
              internal_port: 8080,
              protocol: "tcp",
              ports: [
                { port: 80, handlers: ["http"] },
                { port: 443, handlers: ["tls", "http"] },
              ],
            },
          ],
          checks: {
            httpget: {
              type: "http",
              port: 8080,
              method: "GET",
              path: "/healthz",
              interval: "15s",
              timeout: "10s",
            },
          },
        },
      },
    };
    this.spec = {
      name: appName,
      seed: options.seed ?? 1,
      tokens: [{ token: options.token ?? defaultToken(appName), user }],
      users: [{ email: user, name: null }],
      apps: [this.app],
    };
  }

  /** Adds an accepted token (and its user). */
  token(token: string, user?: string): this {
    this.spec.tokens?.push(user ? { token, user } : token);
    if (user && !this.spec.users?.some((u) => u.email === user))
      this.spec.users?.push({ email: user });
    return this;
  }

  /** Pushes an image for a version to the app's registry table, with OCI version/source/revision labels. */
  image(version: string, options: ScenarioImageOptions = {}): this {
    const ref = `registry.fly.io/${this.app.name}:${options.tag ?? version}`;
    this.imageRefs.set(version, ref);
    this.app.images?.push({
      ref,
      digest: options.digest ?? digestFor(ref),
      labels: options.labels ?? {
        "org.opencontainers.image.version": version,
        "org.opencontainers.image.source": `https://github.com/${this.app.organization?.slug}/${this.app.name}`,
        "org.opencontainers.image.revision": revisionFor(this.app.name, version),
      },
      createdAt: options.createdAt ?? new Date(this.tick()).toISOString(),
      ...(options.bad ? { bad: true } : {}),
      ...(options.neverStarts ? { neverStarts: options.neverStarts } : {}),
      ...(options.crashLoop ? { crashLoop: options.crashLoop } : {}),
      ...(options.releaseCommandFails ? { releaseCommandFails: options.releaseCommandFails } : {}),
    });
    return this;
  }

  /** Appends a release (version = previous + 1 unless given). */
  release(options: ScenarioReleaseOptions = {}): this {
    const releases = this.app.releases ?? [];
    const previous = releases[releases.length - 1];
    const image =
      options.image === undefined
        ? (previous?.image ?? null)
        : options.image === null
          ? null
          : (this.imageRefs.get(options.image) ?? options.image);
    releases.push({
      ...options,
      version: options.version ?? (previous ? previous.version + 1 : 1),
      image,
      createdAt: options.createdAt ?? new Date(this.tick()).toISOString(),
    });
    return this;
  }

  /** Adds `count` machines (default process group `app`, on the current release). */
  machines(count: number, options: ScenarioMachinesOptions = {}): this {
    const { regions, region, ...rest } = options;
    const pool = regions ?? [region ?? "ams"];
    for (let i = 0; i < count; i++) {
      this.app.machines?.push({ ...rest, region: pool[i % pool.length] ?? "ams" });
    }
    return this;
  }

  /** Adds one machine as given. */
  machine(spec: MachineSpec): this {
    this.app.machines?.push(spec);
    return this;
  }

  /** Sets the base config of a process group. */
  processGroup(name: string, config: MachineConfigJson): this {
    this.app.machineConfig = { ...this.app.machineConfig, [name]: config };
    return this;
  }

  defaultCheck(enabled = true): this {
    this.app.defaultCheck = enabled;
    return this;
  }

  /** Sets app-level knobs: `compatChecks`, `checkDelayMs`, `checkStaggerMs`, `primaryRegion`, `releaseCommand`, `definition`. */
  appSettings(
    knobs: Pick<
      AppSpec,
      | "compatChecks"
      | "checkDelayMs"
      | "checkStaggerMs"
      | "primaryRegion"
      | "releaseCommand"
      | "definition"
    >,
  ): this {
    Object.assign(this.app, knobs);
    return this;
  }

  build(): Scenario {
    return structuredClone(this.spec);
  }

  private tick(): number {
    this.clockMs += 3_600_000;
    return this.clockMs;
  }
}

export function scenario(
  appName: string,
  options?: { org?: string; token?: string; user?: string; seed?: number },
): ScenarioBuilder {
  return new ScenarioBuilder(appName, options);
}

export interface LargeScenarioOptions {
  app?: string;
  releases?: number;
  machines?: number;
  regions?: string[];
  /** One release in `deployEvery` deploys a new patch version; the others are scale changes. */
  deployEvery?: number;
  /** Only the newest `keepImages` deployed images stay in the registry; older ones are pruned. */
  keepImages?: number;
  /**
   * One deploy in `labelOnlyEvery` is pushed with flyctl's default tag (`deployment-<ULID>`), so only its
   * `org.opencontainers.image.version` label tells its version. 0 (default): none.
   */
  labelOnlyEvery?: number;
  /** One non-deploy release in `imagelessEvery` carries no image (`imageRef: null`). 0 (default): none. */
  imagelessEvery?: number;
  token?: string;
  seed?: number;
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** flyctl's default image tag, `deployment-` and a ULID (time, then randomness; here from a counter). */
export function deploymentTag(atMs: number, n: number): string {
  let time = "";
  let t = atMs;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let rest = "";
  let r = n * 2_654_435_761;
  for (let i = 0; i < 16; i++) {
    rest += CROCKFORD[r % 32];
    r = Math.floor(r / 32) + i * 7;
  }
  return `deployment-${time}${rest}`;
}

/** A big app for benchmarks: many releases (semver deploys between scale changes) and many machines. */
export function largeScenario(options: LargeScenarioOptions = {}): Scenario {
  const appName = options.app ?? "bench-app";
  const releaseCount = options.releases ?? 10_000;
  const machineCount = options.machines ?? 500;
  const regions = options.regions ?? ["ams", "iad", "sin", "syd", "gru"];
  const deployEvery = Math.max(1, options.deployEvery ?? 4);
  const keepImages = options.keepImages ?? 200;
  const labelOnlyEvery = options.labelOnlyEvery ?? 0;
  const imagelessEvery = options.imagelessEvery ?? 0;
  const user = `bench@${appName}.test`;
  const images: ImageSpec[] = [];
  const releases: ReleaseSpec[] = [];
  const start = Date.parse("2020-01-01T00:00:00Z");
  let image: string | null = null;
  let deploys = 0;
  for (let v = 1; v <= releaseCount; v++) {
    const createdAt = new Date(start + v * 1_800_000).toISOString();
    if ((v - 1) % deployEvery === 0) {
      const version = `${1 + Math.floor(deploys / 1000)}.${Math.floor(deploys / 50) % 20}.${deploys % 50}`;
      deploys++;
      const labelOnly = labelOnlyEvery > 0 && deploys % labelOnlyEvery === 0;
      const tag = labelOnly ? deploymentTag(start + v * 1_800_000, deploys) : version;
      image = `registry.fly.io/${appName}:${tag}`;
      images.push({
        ref: image,
        digest: digestFor(image),
        labels: {
          "org.opencontainers.image.version": version,
          "org.opencontainers.image.source": `https://github.com/bench/${appName}`,
          "org.opencontainers.image.revision": revisionFor(appName, version),
        },
        createdAt,
      });
      releases.push({
        version: v,
        image,
        reason: "deploy",
        description: "Deploy image",
        user,
        createdAt,
      });
    } else {
      const imageless = imagelessEvery > 0 && v % imagelessEvery === 0;
      releases.push({
        version: v,
        image: imageless ? null : image,
        reason: imageless ? "secrets" : "scale",
        description: imageless ? "Set secrets" : `Scaled app to ${1 + (v % 9)} machines`,
        user,
        createdAt,
        ...(v % 17 === 0 ? { status: "failed" } : {}),
      });
    }
  }
  const previousDeploys = releases
    .filter((r) => r.reason === "deploy" && r.status === undefined)
    .slice(-3);
  const machines: MachineSpec[] = [];
  for (let i = 0; i < machineCount; i++) {
    machines.push({
      region: regions[i % regions.length] ?? "ams",
      processGroup: i % 10 === 9 ? "worker" : "app",
      // The last three deploys, oldest first; the newest is what the machine runs.
      versions: previousDeploys.length > 0 ? previousDeploys.map((r) => r.version) : undefined,
    });
  }
  return {
    name: `large-${appName}`,
    seed: options.seed ?? 7,
    tokens: [{ token: options.token ?? `fm2_bench_${appName}`, user }],
    users: [{ email: user, name: "Bench" }],
    apps: [
      {
        name: appName,
        organization: { slug: "bench" },
        images: images.slice(-keepImages),
        releases,
        machines,
        machineConfig: {
          app: {
            guest: { cpu_kind: "shared", cpus: 1, memory_mb: 256 },
            services: [
              {
                internal_port: 8080,
                protocol: "tcp",
                ports: [{ port: 443, handlers: ["tls", "http"] }],
              },
            ],
            checks: { httpget: { type: "http", port: 8080, method: "GET", path: "/healthz" } },
          },
          worker: { guest: { cpu_kind: "shared", cpus: 1, memory_mb: 512 } },
        },
      },
    ],
  };
}
