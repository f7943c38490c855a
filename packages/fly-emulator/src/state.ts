import { EventEmitter } from "node:events";
import { loadAppStorage } from "./app-storage.js";
import { leaseNonce, machineId, machineName, opaqueId, privateIp, releaseId, ulid } from "./ids.js";
import {
  type AppRecord,
  type CheckStatusJson,
  currentMachineVersion,
  currentRelease,
  DEPLOYMENT_STRATEGIES,
  type DeploymentStrategy,
  FINISHED_RELEASE_STATUSES,
  type ImageRecord,
  type LeaseRecord,
  type MachineConfigJson,
  type MachineRecord,
  type MachineVersionRecord,
  type ReleaseRecord,
  type UserRecord,
} from "./model.js";
import type { OciRegistry } from "./oci-registry.js";
import { deriveSeed, Rng } from "./random.js";
import { findImage, imageRefJson, parseImageRef } from "./registry.js";
import {
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
}

/** A rule broken by a request; the API layers map it to their own status and body. */
export class EmulatorError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code = "unknown",
  ) {
    super(message);
  }
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
  private readonly timers = new Set<NodeJS.Timeout>();
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
        images: [],
        releases: [],
        machines: new Map(),
      };
      this.apps.set(app.name, app);
      for (const image of spec.images ?? []) this.addImage(app.name, image);
      let previousImage: string | null = null;
      for (const release of [...(spec.releases ?? [])].sort((a, b) => a.version - b.version)) {
        const image: string | null = release.image === undefined ? previousImage : release.image;
        this.addRelease(app.name, { ...release, image });
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

  /** Marks an image bad: its machines' checks go `critical` (now, for machines running it, and on boot). */
  /** Fly's registry is per organisation: an app's image runs in the apps of its own organisation only. */
  imageVisibleTo(app: AppRecord, image: ImageRecord): boolean {
    for (const owner of this.apps.values()) {
      if (owner.images.includes(image)) return owner.organization.slug === app.organization.slug;
    }
    return true;
  }

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
      config.metadata = {
        ...(config.metadata ?? {}),
        fly_platform_version: "v2",
        fly_process_group: group,
        ...(release
          ? { fly_release_id: release.id, fly_release_version: String(release.version) }
          : {}),
      };
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
      name: spec.name ?? machineName(this.ids),
      region: spec.region,
      state: spec.state ?? "started",
      createdAt: createdAtMs !== undefined ? iso(createdAtMs) : first.createdAt,
      updatedAt: last.createdAt,
      privateIp: privateIp(this.ids),
      versions,
      checks: [],
      events: [],
      lease: null,
      generation: 0,
    };
    app.machines.set(machine.id, machine);
    this.pushEvent(machine, "launch", machine.state, "user", Date.parse(last.createdAt));
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

  /** The checks a machine reports: `config.checks` by name, then service checks, else the default one. */
  checkNames(
    app: AppRecord,
    machine: MachineRecord,
  ): Array<{ name: string; type: string; target: string }> {
    const config = currentMachineVersion(machine).config;
    const out: Array<{ name: string; type: string; target: string }> = [];
    for (const [name, check] of Object.entries(config.checks ?? {}).sort(([a], [b]) =>
      a.localeCompare(b),
    )) {
      out.push({
        name,
        type: check.type ?? "http",
        target: `${check.method ?? "GET"} ${check.path ?? "/"}`,
      });
    }
    for (const service of config.services ?? []) {
      (service.checks ?? []).forEach((check, index) => {
        const type = check.type ?? "tcp";
        out.push({
          name: `servicecheck-${String(index).padStart(2, "0")}-${type}-${service.internal_port ?? 0}`,
          type,
          target: `${check.method ?? "GET"} ${check.path ?? "/"}`,
        });
      });
    }
    if (out.length === 0 && app.defaultCheck) {
      const port = config.services?.[0]?.internal_port ?? 8080;
      out.push({ name: `servicecheck-00-tcp-${port}`, type: "tcp", target: `port ${port}` });
    }
    return out;
  }

  checkResults(
    app: AppRecord,
    machine: MachineRecord,
    status: CheckStatusJson["status"],
  ): CheckStatusJson[] {
    const at = this.nowIso();
    return this.checkNames(app, machine).map((check) => ({
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
    type: string,
    status: string,
    source: string,
    at = this.now(),
  ): void {
    machine.events.unshift({ id: ulid(this.ids, at), type, status, source, timestamp: at });
    machine.events.length = Math.min(machine.events.length, MAX_EVENTS);
  }

  setMachineState(machine: MachineRecord, state: string, eventType?: string): void {
    machine.state = state;
    if (eventType)
      this.pushEvent(machine, eventType, state, eventType === "exit" ? "flyd" : "user");
    this.touch(machine);
  }

  private touch(machine: MachineRecord): void {
    machine.updatedAt = this.nowIso();
    this.changes.emit("machine", machine);
  }

  /**
   * Applies a new config: appends a config version (new `instance_id`), resolves the image through
   * the registry tables, and boots it (`replacing` → `started` → checks) unless `skipLaunch`.
   */
  updateMachine(
    appName: string,
    machine: MachineRecord,
    config: MachineConfigJson,
    options: { skipLaunch?: boolean; region?: string; name?: string } = {},
  ): void {
    const ref = config.image ?? "";
    const app = this.app(appName);
    const image = this.findImage(ref);
    if (!image || !this.imageVisibleTo(app, image)) {
      throw new EmulatorError(400, `failed to get manifest ${ref}: manifest unknown`);
    }
    const at = this.now();
    machine.versions.push({
      version: ulid(this.ids, at),
      config: structuredClone(config),
      imageRef: imageRefJson(ref, image),
      createdAt: iso(at),
    });
    if (options.region) machine.region = options.region;
    if (options.name) machine.name = options.name;
    if (options.skipLaunch) {
      machine.generation++;
      machine.checks = [];
      this.setMachineState(
        machine,
        machine.state === "started" ? "stopped" : machine.state,
        "update",
      );
      return;
    }
    this.boot(app, machine, "replacing", "update");
  }

  startMachine(appName: string, machine: MachineRecord): string {
    const previous = machine.state;
    if (previous !== "started" && previous !== "starting" && previous !== "replacing") {
      this.boot(this.app(appName), machine, "starting", "start");
    }
    return previous;
  }

  stopMachine(machine: MachineRecord): void {
    const generation = ++machine.generation;
    machine.checks = [];
    this.setMachineState(machine, "stopping", "stop");
    this.schedule(() => {
      if (machine.generation === generation) this.setMachineState(machine, "stopped", "exit");
    }, this.timing.stopTimeMs);
  }

  private boot(app: AppRecord, machine: MachineRecord, transient: string, eventType: string): void {
    const generation = ++machine.generation;
    machine.checks = [];
    this.setMachineState(machine, transient, eventType);
    this.schedule(() => {
      if (machine.generation !== generation) return;
      const image = this.findImage(currentMachineVersion(machine).config.image ?? "");
      if (image?.neverStarts === "hang") return;
      if (image?.neverStarts === "fail") {
        this.setMachineState(machine, "failed", "exit");
        return;
      }
      this.setMachineState(machine, "started", "start");
      if (this.checkNames(app, machine).length === 0) return;
      this.schedule(() => {
        if (machine.generation !== generation || machine.state !== "started") return;
        const running = this.findImage(currentMachineVersion(machine).config.image ?? "");
        machine.checks = this.checkResults(app, machine, running?.bad ? "critical" : "passing");
        this.touch(machine);
      }, this.timing.checkDelayMs);
    }, this.timing.bootTimeMs);
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

  schedule(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  /** True while some machine is booting, stopping or waiting for its checks. */
  get busy(): boolean {
    return this.timers.size > 0;
  }

  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.changes.emit("close");
    this.changes.removeAllListeners();
  }
}
