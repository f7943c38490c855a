import { EventEmitter } from "node:events";
import { deriveAppDefinition } from "./app-definition.js";
import { loadAppStorage } from "./app-storage.js";
import { EmulatorError } from "./errors.js";
import { leaseNonce, machineId, machineName, opaqueId, privateIp, releaseId, ulid } from "./ids.js";
import { type ConfiguredCheck, configuredChecks, processGroupOf } from "./machine-config.js";
import { exitEvent, MachineLifecycle } from "./machine-lifecycle.js";
import {
  type AppRecord,
  type CheckStatusJson,
  type CompatChecks,
  currentMachineVersion,
  currentRelease,
  DEPLOYMENT_STRATEGIES,
  type DeploymentStrategy,
  FINISHED_RELEASE_STATUSES,
  type ImageRecord,
  type LeaseRecord,
  type MachineConfigJson,
  type MachineEventJson,
  type MachineRecord,
  type MachineVersionRecord,
  type ReleaseRecord,
  type UserRecord,
} from "./model.js";
import type { OciRegistry } from "./oci-registry.js";
import { deriveSeed, Rng } from "./random.js";
import { findImage, imageRefJson, parseImageRef } from "./registry.js";
import {
  type AppSpec,
  digestFor,
  type ImageSpec,
  type MachineSpec,
  type ReleaseSpec,
  type Scenario,
} from "./scenario.js";
import { deepMerge, iso } from "./util.js";

export interface LifecycleTiming {
  bootTimeMs: number;
  checkDelayMs: number;
  stopTimeMs: number;
  /** `suspended` → `started`. */
  resumeTimeMs: number;
  /** How long a one-shot (release command) machine runs before it exits. */
  runTimeMs: number;
  /** How long a crash-looping image stays up after each start. */
  crashAfterMs: number;
  /** How long flyd waits before restarting a crashed machine. */
  restartDelayMs: number;
}

/** `config.metadata` of a scenario machine: Fly Launch keys unless it is unmanaged. */
function scenarioMetadata(
  base: Record<string, string>,
  spec: MachineSpec,
  group: string,
  release: ReleaseRecord | null,
): Record<string, string> {
  if (spec.unmanaged) {
    return Object.fromEntries(Object.entries(base).filter(([key]) => !key.startsWith("fly_")));
  }
  const metadata: Record<string, string> = { ...base };
  const platform = spec.platformVersion === undefined ? "v2" : spec.platformVersion;
  if (platform === null) delete metadata.fly_platform_version;
  else metadata.fly_platform_version = platform;
  if (spec.legacyProcessGroup) {
    delete metadata.fly_process_group;
    metadata.process_group = group;
  } else {
    metadata.fly_process_group = group;
  }
  if (release) {
    metadata.fly_release_id = release.id;
    metadata.fly_release_version = String(release.version);
  }
  return metadata;
}

function compatChecksOf(knob: AppSpec["compatChecks"]): CompatChecks | null {
  if (!knob) return null;
  const options = knob === true ? {} : knob;
  return {
    names: options.names?.length ? [...options.names] : ["bg_deployments_compat"],
    status: options.status ?? "passing",
  };
}

export { EmulatorError };

/** `true` → exit code 1, a number → that code, `false`/absent → null. */
function exitCodeKnob(knob: boolean | number | undefined): number | null {
  if (knob === true) return 1;
  if (typeof knob === "number" && knob !== 0) return knob;
  return null;
}

/** Lease TTL when the request names none (our choice). */
export const DEFAULT_LEASE_TTL_SECONDS = 30;
const MAX_EVENTS = 20;

/** The emulated Fly account: apps, registry tables, releases, machines, leases, tokens. */
export class EmulatorState {
  readonly apps = new Map<string, AppRecord>();
  readonly users = new Map<string, UserRecord>();
  /** token → user email */
  readonly tokens = new Map<string, string>();
  readonly changes = new EventEmitter();
  readonly ids: Rng;
  /** Added to the wall clock; `advanceClock()` moves it (lease expiry, timestamps). */
  clockOffsetMs = 0;
  /** The OCI registries (set by `startEmulator`); GraphQL `app.image` asks it about external images. */
  oci: OciRegistry | null = null;
  /** Machine state changes over time (updates, boots, stops, crash loops…). */
  readonly lifecycle = new MachineLifecycle(this);
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly backgroundTimers = new Set<NodeJS.Timeout>();
  private imageIndex: Map<string, ImageRecord> | null = null;

  constructor(
    readonly seed: number,
    readonly timing: LifecycleTiming,
  ) {
    this.ids = new Rng(deriveSeed(seed, "ids"));
    this.changes.setMaxListeners(0);
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  nowIso(): string {
    return iso(this.now());
  }

  // ---------------------------------------------------------------- scenario

  load(scenario: Scenario): void {
    for (const user of scenario.users ?? []) this.addUser(user.email, user.name ?? null, user.id);
    const firstUser = scenario.users?.[0]?.email ?? "emulator@fly.test";
    for (const entry of scenario.tokens ?? []) {
      const token = typeof entry === "string" ? entry : entry.token;
      const user = (typeof entry === "string" ? undefined : entry.user) ?? firstUser;
      this.addUser(user, null);
      this.tokens.set(token, user);
    }
    for (const spec of scenario.apps) {
      if (this.apps.has(spec.name)) throw new Error(`scenario: app ${spec.name} is listed twice`);
      const slug = spec.organization?.slug ?? "personal";
      const app: AppRecord = {
        id: spec.id ?? spec.name,
        name: spec.name,
        internalId: spec.internalId ?? opaqueId(this.ids, "", 8).toLowerCase(),
        organization: {
          id: spec.organization?.id ?? opaqueId(this.ids, "", 6),
          slug,
          name: spec.organization?.name ?? slug,
        },
        createdAt: spec.createdAt ? iso(Date.parse(spec.createdAt)) : this.nowIso(),
        defaultCheck: spec.defaultCheck ?? false,
        checkDelayMs: spec.checkDelayMs ?? null,
        checkStaggerMs: spec.checkStaggerMs ?? 0,
        compatChecks: compatChecksOf(spec.compatChecks),
        primaryRegion: spec.primaryRegion ?? spec.machines?.[0]?.region ?? "ams",
        images: [],
        releases: [],
        machines: new Map(),
      };
      this.apps.set(app.name, app);
      for (const image of spec.images ?? []) this.addImage(app.name, image);
      const definition =
        spec.definition ??
        deriveAppDefinition(spec.machineConfig ?? {}, {
          app: app.name,
          primaryRegion: app.primaryRegion,
          releaseCommand: spec.releaseCommand ?? null,
        });
      let previousImage: string | null = null;
      for (const release of [...(spec.releases ?? [])].sort((a, b) => a.version - b.version)) {
        const image: string | null = release.image === undefined ? previousImage : release.image;
        this.addRelease(app.name, {
          ...release,
          image,
          definition:
            release.definition === undefined ? structuredClone(definition) : release.definition,
        });
        previousImage = image;
      }
      for (const machine of spec.machines ?? []) {
        this.addMachine(app.name, machine, spec.machineConfig ?? {});
      }
      loadAppStorage(this, app, spec);
    }
  }

  addUser(email: string, name: string | null, id?: string): UserRecord {
    const existing = this.users.get(email);
    if (existing) {
      if (name !== null) existing.name = name;
      return existing;
    }
    const user = { id: id ?? opaqueId(this.ids, "", 8), email, name };
    this.users.set(email, user);
    return user;
  }

  app(name: string): AppRecord {
    const app = this.apps.get(name);
    if (!app) throw new EmulatorError(404, "app not found", "not_found");
    return app;
  }

  machine(appName: string, id: string): MachineRecord {
    const machine = this.app(appName).machines.get(id);
    if (!machine) throw new EmulatorError(404, "machine not found", "not_found");
    return machine;
  }

  // ---------------------------------------------------------------- registry

  addImage(appName: string, spec: ImageSpec): ImageRecord {
    const app = this.app(appName);
    const parsed = parseImageRef(spec.ref);
    const image: ImageRecord = {
      ref: spec.ref,
      registry: parsed.registry,
      repository: parsed.repository,
      tag: parsed.tag,
      digest: spec.digest ?? parsed.digest ?? digestFor(spec.ref),
      labels: { ...(spec.labels ?? {}) },
      createdAt: spec.createdAt ? iso(Date.parse(spec.createdAt)) : this.nowIso(),
      sizeBytes: spec.sizeBytes ?? 48_000_000 + this.ids.int(40_000_000),
      bad: spec.bad ?? false,
      neverStarts: spec.neverStarts === true ? "fail" : (spec.neverStarts ?? false),
      crashExitCode: exitCodeKnob(spec.crashLoop),
      releaseCommandExitCode: exitCodeKnob(spec.releaseCommandFails) ?? 0,
    };
    app.images = app.images.filter((existing) => existing.ref !== image.ref);
    app.images.push(image);
    this.imageIndex = null;
    return image;
  }

  /** Removes an image from the registry table (as Fly's pruning does); releases keep naming it. */
  removeImage(appName: string, ref: string): boolean {
    const app = this.app(appName);
    const image = findImage([app], ref);
    if (!image) return false;
    app.images = app.images.filter((existing) => existing !== image);
    this.imageIndex = null;
    return true;
  }

  /** Looks a ref up in every app's registry table (indexed: big scenarios resolve many refs). */
  findImage(ref: string): ImageRecord | null {
    if (!this.imageIndex) {
      this.imageIndex = new Map();
      for (const app of this.apps.values()) {
        for (const image of app.images) {
          const base = `${image.registry}/${image.repository}`;
          if (image.tag !== null) this.imageIndex.set(`${base}:${image.tag}`, image);
          if (!this.imageIndex.has(`${base}@${image.digest}`))
            this.imageIndex.set(`${base}@${image.digest}`, image);
        }
      }
    }
    const parsed = parseImageRef(ref);
    const base = `${parsed.registry}/${parsed.repository}`;
    if (parsed.digest) return this.imageIndex.get(`${base}@${parsed.digest}`) ?? null;
    if (parsed.tag !== null) return this.imageIndex.get(`${base}:${parsed.tag}`) ?? null;
    return null;
  }

  /** Fly's registry is per organisation: an app's image runs in the apps of its own organisation only. */
  imageVisibleTo(app: AppRecord, image: ImageRecord): boolean {
    for (const owner of this.apps.values()) {
      if (owner.images.includes(image)) return owner.organization.slug === app.organization.slug;
    }
    return true;
  }

  /** Marks an image bad: its machines' checks go `critical` (now, for machines running it, and on boot). */
  markImageBad(ref: string, bad = true): void {
    const image = this.requireImage(ref);
    image.bad = bad;
    for (const app of this.apps.values()) {
      for (const machine of app.machines.values()) {
        if (machine.state !== "started" || machine.checks.length === 0) continue;
        if (this.findImage(currentMachineVersion(machine).config.image ?? "") !== image) continue;
        machine.checks = this.checkResults(app, machine, bad ? "critical" : "passing");
        this.touch(machine);
      }
    }
  }

  markImageNeverStarts(ref: string, mode: boolean | "fail" | "hang" = "fail"): void {
    this.requireImage(ref).neverStarts = mode === true ? "fail" : mode;
  }

  /** From the next boot on, machines running the image crash-loop (`true` = exit code 1); `false` stops it. */
  markImageCrashLoop(ref: string, crash: boolean | number = true): void {
    this.requireImage(ref).crashExitCode = exitCodeKnob(crash);
  }

  /** Release commands run on the image exit non-zero (`true` = 1); `false` makes them succeed. */
  markReleaseCommandFails(ref: string, fails: boolean | number = true): void {
    this.requireImage(ref).releaseCommandExitCode = exitCodeKnob(fails) ?? 0;
  }

  private requireImage(ref: string): ImageRecord {
    const image = this.findImage(ref);
    if (!image) throw new Error(`no image ${ref} in the registry tables`);
    return image;
  }

  // ---------------------------------------------------------------- releases

  addRelease(
    appName: string,
    spec: Partial<ReleaseSpec> & { userEmail?: string | null },
  ): ReleaseRecord {
    const app = this.app(appName);
    const last = app.releases[app.releases.length - 1];
    const version = spec.version ?? (last ? last.version + 1 : 1);
    if (last && version <= last.version) {
      throw new Error(
        `release v${version} of ${appName}: versions must increase (last is v${last.version})`,
      );
    }
    const status = spec.status ?? "complete";
    const createdAt = spec.createdAt ? iso(Date.parse(spec.createdAt)) : this.nowIso();
    const userEmail = spec.userEmail !== undefined ? spec.userEmail : (spec.user ?? null);
    if (userEmail) this.addUser(userEmail, null);
    const release: ReleaseRecord = {
      id: spec.id ?? releaseId(this.ids),
      version,
      status,
      stable: spec.stable ?? status === "complete",
      reason: spec.reason ?? "deploy",
      description:
        spec.description ??
        (spec.reason && spec.reason !== "deploy" ? spec.reason : "Deploy image"),
      userEmail,
      imageRef: spec.image ?? null,
      strategy: spec.strategy ?? "ROLLING",
      createdAt,
      updatedAt: spec.updatedAt ? iso(Date.parse(spec.updatedAt)) : createdAt,
      metadata: spec.metadata ?? null,
      definition: spec.definition ?? null,
      evaluationId: null,
      revertedTo: spec.revertedTo ?? null,
      buildId: null,
    };
    app.releases.push(release);
    return release;
  }

  findRelease(id: string): { app: AppRecord; release: ReleaseRecord } | null {
    for (const app of this.apps.values()) {
      const release = app.releases.find((r) => r.id === id);
      if (release) return { app, release };
    }
    return null;
  }

  releaseByVersion(app: AppRecord, version: number): ReleaseRecord | null {
    // Versions ascend, so a binary search keeps big scenarios fast.
    let lo = 0;
    let hi = app.releases.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const release = app.releases[mid];
      if (!release) break;
      if (release.version === version) return release;
      if (release.version < version) lo = mid + 1;
      else hi = mid - 1;
    }
    return null;
  }

  /** Creates a release the way `POST /api/v1/releases` does: next version, status `pending`. */
  createRelease(
    appName: string,
    input: {
      image: string;
      strategy: string;
      definition: unknown;
      buildId: string | null;
      userEmail: string | null;
    },
  ): ReleaseRecord {
    const strategy = input.strategy.toUpperCase();
    if (!DEPLOYMENT_STRATEGIES.includes(strategy as DeploymentStrategy)) {
      throw new EmulatorError(422, `invalid strategy ${JSON.stringify(input.strategy)}`);
    }
    const release = this.addRelease(appName, {
      status: "pending",
      stable: false,
      reason: "deploy",
      description: "Deploy image",
      userEmail: input.userEmail,
      image: input.image,
      strategy: strategy as DeploymentStrategy,
      definition: input.definition,
    });
    release.buildId = input.buildId;
    return release;
  }

  /**
   * Moves a release's status (pending → running → complete|failed|interrupted; pending →
   * failed|interrupted). A finished release keeps its status: changing it answers 422 "the release
   * has already finished". Non-null metadata REPLACES the stored metadata (even on a finished release,
   * as long as the status does not change); null leaves it untouched.
   */
  updateRelease(
    id: string,
    status: string | null,
    metadata: Record<string, unknown> | null,
  ): ReleaseRecord {
    const found = this.findRelease(id);
    if (!found) throw new EmulatorError(404, "release not found", "not_found");
    const { release } = found;
    if (status !== null && status !== release.status) {
      if (FINISHED_RELEASE_STATUSES.has(release.status)) {
        throw new EmulatorError(422, "the release has already finished");
      }
      const allowed: Record<string, string[]> = {
        pending: ["running", "failed", "interrupted"],
        running: ["complete", "failed", "interrupted"],
      };
      if (!(allowed[release.status] ?? []).includes(status)) {
        throw new EmulatorError(
          422,
          `invalid release status transition from ${release.status} to ${status}`,
        );
      }
      release.status = status;
      release.stable = status === "complete";
    }
    if (metadata !== null) release.metadata = structuredClone(metadata);
    release.updatedAt = this.nowIso();
    return release;
  }

  // ---------------------------------------------------------------- machines

  addMachine(
    appName: string,
    spec: MachineSpec,
    baseConfigs: Record<string, MachineConfigJson> = {},
  ): MachineRecord {
    const app = this.app(appName);
    const group = spec.processGroup ?? "app";
    const fallbackRelease = currentRelease(app)?.version;
    const versionSpecs = spec.versions ?? [spec.release ?? fallbackRelease ?? 0];
    const createdAtMs = spec.createdAt ? Date.parse(spec.createdAt) : undefined;
    const standbyFor = this.standbyTargets(app, spec, group);
    const versions: MachineVersionRecord[] = versionSpecs.map((entry) => {
      const v = typeof entry === "number" ? { release: entry } : entry;
      const release = v.release !== undefined ? this.releaseByVersion(app, v.release) : null;
      if (v.release !== undefined && v.release !== 0 && !release) {
        throw new Error(
          `scenario: machine in ${appName} names release v${v.release}, which does not exist`,
        );
      }
      const config = deepMerge<MachineConfigJson>(baseConfigs[group], spec.config, v.config);
      const image = v.image ?? release?.imageRef ?? config.image;
      if (!image)
        throw new Error(
          `scenario: machine in ${appName} has no image (give a release or config.image)`,
        );
      config.image = image;
      config.metadata = scenarioMetadata(config.metadata ?? {}, spec, group, release);
      if (standbyFor) {
        config.standbys = standbyFor;
        config.env = { ...(config.env ?? {}), FLY_STANDBY_FOR: standbyFor.join(",") };
      }
      const at = v.createdAt
        ? Date.parse(v.createdAt)
        : release
          ? Date.parse(release.createdAt) + 20_000
          : this.now();
      return {
        version: v.version ?? ulid(this.ids, at),
        config,
        imageRef: imageRefJson(image, this.findImage(image)),
        createdAt: iso(at),
      };
    });
    const first = versions[0];
    const last = versions[versions.length - 1];
    if (!first || !last) throw new Error(`scenario: machine in ${appName} has no config version`);
    const machine: MachineRecord = {
      id: spec.id ?? machineId(this.ids),
      appName: app.name,
      name: spec.name ?? machineName(this.ids),
      region: spec.region,
      state: spec.state ?? (standbyFor ? "stopped" : "started"),
      createdAt: createdAtMs !== undefined ? iso(createdAtMs) : first.createdAt,
      updatedAt: last.createdAt,
      privateIp: privateIp(this.ids),
      versions,
      checks: [],
      events: [],
      lease: null,
      generation: 0,
      hostStatus: spec.hostStatus ?? "ok",
      cordoned: spec.cordoned ?? false,
      restartCount: 0,
    };
    app.machines.set(machine.id, machine);
    this.pushScenarioEvents(machine, Date.parse(machine.createdAt), Date.parse(last.createdAt));
    if (machine.state === "started" && spec.checks !== "none") {
      const image = this.findImage(last.config.image ?? "");
      machine.checks = this.checkResults(
        app,
        machine,
        spec.checks ?? (image?.bad ? "critical" : "passing"),
      );
    }
    if (spec.lease) {
      this.holdLease(appName, machine.id, {
        owner: spec.lease.owner,
        ttlSeconds: spec.lease.ttlSeconds ?? 3600,
        description: spec.lease.description ?? "",
        nonce: spec.lease.nonce,
      });
    }
    return machine;
  }

  /** The ids a scenario standby watches: given, or the first non-standby machine of its group. */
  private standbyTargets(app: AppRecord, spec: MachineSpec, group: string): string[] | null {
    if (!spec.standby) return null;
    if (Array.isArray(spec.standby)) return [...spec.standby];
    for (const other of app.machines.values()) {
      const config = currentMachineVersion(other).config;
      if (processGroupOf(config) === group && !config.standbys?.length) return [other.id];
    }
    throw new Error(`scenario: standby in ${app.name} has no machine of group ${group} to watch`);
  }

  /** A believable event history for a scenario machine (newest first once pushed). */
  private pushScenarioEvents(machine: MachineRecord, createdMs: number, currentMs: number): void {
    this.pushEvent(machine, { type: "launch", status: "created", source: "user" }, createdMs);
    if (["started", "stopped", "suspended"].includes(machine.state)) {
      this.pushEvent(
        machine,
        { type: "start", status: "started", source: "flyd" },
        currentMs + 1_000,
      );
    }
    if (machine.state === "stopped") {
      this.pushEvent(
        machine,
        {
          type: "exit",
          status: "stopped",
          source: "flyd",
          request: { exit_event: exitEvent(0, currentMs + 3_600_000, { requested: true }) },
        },
        currentMs + 3_600_000,
      );
    }
    if (machine.state === "suspended") {
      this.pushEvent(
        machine,
        { type: "suspend", status: "suspended", source: "user" },
        currentMs + 3_600_000,
      );
    }
  }

  /** The checks a machine has configured (see `configuredChecks`). */
  checkNames(app: AppRecord, machine: MachineRecord): ConfiguredCheck[] {
    return configuredChecks(currentMachineVersion(machine).config, app.defaultCheck);
  }

  checkResults(
    app: AppRecord,
    machine: MachineRecord,
    status: CheckStatusJson["status"],
    count = Number.POSITIVE_INFINITY,
  ): CheckStatusJson[] {
    const at = this.nowIso();
    return this.checkNames(app, machine)
      .slice(0, count)
      .map((check) => ({
        name: check.name,
        status,
        output:
          check.type === "http"
            ? `${check.target}: ${status === "passing" ? "200 OK" : "503 Service Unavailable"}`
            : status === "passing"
              ? "Success"
              : "connect: connection refused",
        updated_at: at,
      }));
  }

  pushEvent(
    machine: MachineRecord,
    event: Omit<MachineEventJson, "id" | "timestamp">,
    at = this.now(),
  ): void {
    machine.events.unshift({ id: ulid(this.ids, at), ...event, timestamp: at });
    machine.events.length = Math.min(machine.events.length, MAX_EVENTS);
  }

  /** Sets the state; with an event type, records `{type, status: state}` (flyd's own events say `flyd`). */
  setMachineState(
    machine: MachineRecord,
    state: string,
    eventType?: string,
    source = "user",
  ): void {
    machine.state = state;
    if (eventType) this.pushEvent(machine, { type: eventType, status: state, source });
    this.touch(machine);
  }

  /** Records a change (and wakes waiters). */
  touch(machine: MachineRecord): void {
    machine.updatedAt = this.nowIso();
    this.changes.emit("machine", machine);
  }

  setChecks(appName: string, machine: MachineRecord, status: CheckStatusJson["status"]): void {
    machine.checks = this.checkResults(this.app(appName), machine, status);
    this.touch(machine);
  }

  // ---------------------------------------------------------------- leases

  activeLease(machine: MachineRecord): LeaseRecord | null {
    if (machine.lease && machine.lease.expiresAt * 1000 <= this.now()) machine.lease = null;
    return machine.lease;
  }

  holdLease(
    appName: string,
    id: string,
    options: {
      owner: string;
      ttlSeconds?: number;
      description?: string;
      nonce?: string | undefined;
    },
  ): LeaseRecord {
    const machine = this.machine(appName, id);
    const lease: LeaseRecord = {
      nonce: options.nonce ?? leaseNonce(this.ids),
      owner: options.owner,
      description: options.description ?? "",
      expiresAt: Math.floor(this.now() / 1000) + (options.ttlSeconds ?? DEFAULT_LEASE_TTL_SECONDS),
      version: ulid(this.ids, this.now()),
    };
    machine.lease = lease;
    return lease;
  }

  // ---------------------------------------------------------------- timers

  /** Runs `fn` later; `background` timers (crash loops, which never end) do not count as busy. */
  schedule(fn: () => void, ms: number, options: { background?: boolean } = {}): void {
    const pool = options.background ? this.backgroundTimers : this.timers;
    const timer = setTimeout(() => {
      pool.delete(timer);
      fn();
    }, ms);
    pool.add(timer);
  }

  /** True while some machine is booting, stopping or waiting for its checks. */
  get busy(): boolean {
    return this.timers.size > 0;
  }

  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer);
    for (const timer of this.backgroundTimers) clearTimeout(timer);
    this.timers.clear();
    this.backgroundTimers.clear();
    this.changes.emit("close");
    this.changes.removeAllListeners();
  }
}
