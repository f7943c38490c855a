/**
 * How a machine moves between states: updates, creates, starts, stops, suspends, destroys, boots, check
 * results, crash loops and one-shot (release command) runs, on the emulator's timers. Fly's rules are in
 * REAL-BEHAVIOUR.md §1–4 and §8; the choices where the sources are silent are in the README.
 */
import { EmulatorError } from "./errors.js";
import { machineId, machineName, privateIp, ulid } from "./ids.js";
import { maxRetriesOf, restartPolicyOf, runsToCompletion } from "./machine-config.js";
import {
  type AppRecord,
  currentMachineVersion,
  type HostStatus,
  type ImageRecord,
  type MachineConfigJson,
  type MachineExitEventJson,
  type MachineRecord,
} from "./model.js";
import { imageRefJson } from "./registry.js";
import type { EmulatorState } from "./state.js";
import { iso } from "./util.js";

/** fly-go `MachineExitEvent` for an exit at `atMs`. */
export function exitEvent(
  exitCode: number,
  atMs: number,
  options: { requested?: boolean; restarting?: boolean },
): MachineExitEventJson {
  return {
    exit_code: exitCode,
    guest_exit_code: exitCode,
    guest_signal: -1,
    oom_killed: false,
    requested_stop: options.requested ?? false,
    restarting: options.restarting ?? false,
    signal: -1,
    exited_at: new Date(atMs).toISOString(),
  };
}

/**
 * Why Fly would not snapshot this machine, or null. Fly's docs name limits (memory, GPUs, volumes); the
 * emulator's are a choice (see the README): more than 2 GB of memory, a GPU, a volume or swap.
 */
export function suspendRefusal(config: MachineConfigJson): string | null {
  const guest = (config.guest ?? {}) as { memory_mb?: number; gpus?: number; gpu_kind?: string };
  if ((guest.memory_mb ?? 0) > SUSPEND_MAX_MEMORY_MB) {
    return `memory ${guest.memory_mb} MB is over ${SUSPEND_MAX_MEMORY_MB} MB`;
  }
  if ((guest.gpus ?? 0) > 0 || guest.gpu_kind) return "machines with GPUs cannot be suspended";
  if (Array.isArray(config.mounts) && config.mounts.length > 0) {
    return "machines with volumes cannot be suspended";
  }
  if (typeof config.swap_size_mb === "number" && config.swap_size_mb > 0) {
    return "machines with swap cannot be suspended";
  }
  return null;
}

const SUSPEND_MAX_MEMORY_MB = 2048;

export class MachineLifecycle {
  constructor(private readonly state: EmulatorState) {}

  /** Fly's registry is per organisation: an image of another organisation's app is not there. */
  private requireImage(appName: string, config: MachineConfigJson): ImageRecord {
    const ref = config.image ?? "";
    const image = this.state.findImage(ref);
    if (!image || !this.state.imageVisibleTo(this.state.app(appName), image)) {
      throw new EmulatorError(400, `failed to get manifest ${ref}: manifest unknown`);
    }
    return image;
  }

  /**
   * Applies a new config: appends a config version (new `instance_id`), resolves the image through the
   * registry tables and, as Fly does, boots the machine whatever its state (`replacing` → `started`) —
   * a stopped, suspended or standby machine too — unless `skipLaunch`, which leaves a cold machine in its
   * state on the new version (and stops a running one).
   */
  update(
    appName: string,
    machine: MachineRecord,
    config: MachineConfigJson,
    options: { skipLaunch?: boolean; region?: string; name?: string } = {},
  ): void {
    const image = this.requireImage(appName, config);
    const app = this.state.app(appName);
    const at = this.state.now();
    machine.versions.push({
      version: ulid(this.state.ids, at),
      config: structuredClone(config),
      imageRef: imageRefJson(config.image ?? "", image),
      createdAt: iso(at),
    });
    if (options.region) machine.region = options.region;
    if (options.name) machine.name = options.name;
    if (options.skipLaunch) {
      machine.generation++;
      machine.checks = [];
      const cold = ["stopped", "suspended", "created", "failed"].includes(machine.state);
      this.state.setMachineState(machine, cold ? machine.state : "stopped", "update");
      return;
    }
    this.boot(app, machine, "replacing", "update", this.state.timing.bootTimeMs);
  }

  /** `POST /apps/{app}/machines`: a new machine, `created`, then booted unless `skipLaunch` (then `stopped`). */
  create(
    appName: string,
    input: {
      config: MachineConfigJson;
      region?: string;
      name?: string;
      skipLaunch?: boolean;
      /** Fly registers no service for it: the proxy sends it nothing until it is uncordoned. */
      skipServiceRegistration?: boolean;
    },
  ): MachineRecord {
    const app = this.state.app(appName);
    const image = this.requireImage(appName, input.config);
    if (
      input.name &&
      [...app.machines.values()].some((m) => m.name === input.name && m.state !== "destroyed")
    ) {
      throw new EmulatorError(422, `a machine named ${input.name} already exists`, "name_taken");
    }
    const at = this.state.now();
    const machine: MachineRecord = {
      id: machineId(this.state.ids),
      appName: app.name,
      name: input.name || machineName(this.state.ids),
      region: input.region || app.primaryRegion,
      state: "created",
      createdAt: iso(at),
      updatedAt: iso(at),
      privateIp: privateIp(this.state.ids),
      versions: [
        {
          version: ulid(this.state.ids, at),
          config: structuredClone(input.config),
          imageRef: imageRefJson(input.config.image ?? "", image),
          createdAt: iso(at),
        },
      ],
      checks: [],
      events: [],
      lease: null,
      generation: 0,
      hostStatus: "ok",
      cordoned: input.skipServiceRegistration === true,
      restartCount: 0,
    };
    app.machines.set(machine.id, machine);
    if (input.skipLaunch) {
      this.state.setMachineState(machine, "created", "launch");
      const generation = machine.generation;
      this.state.schedule(() => {
        if (machine.generation === generation && machine.state === "created")
          this.state.setMachineState(machine, "stopped");
      }, this.state.timing.stopTimeMs);
    } else {
      this.boot(app, machine, "created", "launch", this.state.timing.bootTimeMs);
    }
    return machine;
  }

  start(appName: string, machine: MachineRecord): string {
    const previous = machine.state;
    if (!["started", "starting", "replacing", "destroying", "destroyed"].includes(previous)) {
      // Resuming from a suspend snapshot is much faster than a cold boot.
      const delay =
        previous === "suspended" ? this.state.timing.resumeTimeMs : this.state.timing.bootTimeMs;
      this.boot(this.state.app(appName), machine, "starting", "start", delay);
    }
    return previous;
  }

  stop(machine: MachineRecord): void {
    const generation = ++machine.generation;
    machine.checks = [];
    this.state.setMachineState(machine, "stopping", "stop");
    this.state.schedule(() => {
      if (machine.generation !== generation) return;
      machine.state = "stopped";
      this.state.pushEvent(machine, {
        type: "exit",
        status: "stopped",
        source: "flyd",
        request: {
          exit_event: exitEvent(0, this.state.now(), { requested: true }),
          restart_count: machine.restartCount,
        },
      });
      this.state.touch(machine);
    }, this.state.timing.stopTimeMs);
  }

  suspend(machine: MachineRecord): void {
    if (machine.state !== "started") {
      throw new EmulatorError(409, "unable to suspend machine, not currently started");
    }
    const unsuitable = suspendRefusal(currentMachineVersion(machine).config);
    if (unsuitable) throw new EmulatorError(400, `unable to suspend machine: ${unsuitable}`);
    const generation = ++machine.generation;
    machine.checks = [];
    this.state.setMachineState(machine, "suspending", "suspend");
    this.state.schedule(() => {
      if (machine.generation === generation) this.state.setMachineState(machine, "suspended");
    }, this.state.timing.stopTimeMs);
  }

  /** `DELETE …/{id}`: a running machine needs `force`; then `destroying` → `destroyed` (kept for `include_deleted`). */
  destroy(machine: MachineRecord, force: boolean): void {
    if (machine.state === "destroyed" || machine.state === "destroying") return;
    const running = !["stopped", "suspended", "created", "failed"].includes(machine.state);
    if (running && !force) {
      throw new EmulatorError(
        412,
        `unable to destroy machine ${machine.id}, not currently stopped or suspended (use force)`,
        "failed_precondition",
      );
    }
    const generation = ++machine.generation;
    machine.checks = [];
    machine.lease = null;
    this.state.setMachineState(machine, "destroying", "destroy");
    this.state.schedule(() => {
      if (machine.generation === generation) this.state.setMachineState(machine, "destroyed");
    }, this.state.timing.stopTimeMs);
  }

  setCordoned(machine: MachineRecord, cordoned: boolean): void {
    machine.cordoned = cordoned;
    this.state.touch(machine);
  }

  setHostStatus(machine: MachineRecord, status: HostStatus): void {
    machine.hostStatus = status;
    this.state.touch(machine);
  }

  private boot(
    app: AppRecord,
    machine: MachineRecord,
    transient: string,
    eventType: string,
    delayMs: number,
  ): void {
    const generation = ++machine.generation;
    machine.checks = [];
    machine.restartCount = 0;
    this.state.setMachineState(machine, transient, eventType);
    this.state.schedule(() => {
      if (machine.generation !== generation) return;
      const image = this.state.findImage(currentMachineVersion(machine).config.image ?? "");
      if (image?.neverStarts === "hang") return;
      if (image?.neverStarts === "fail") {
        this.state.setMachineState(machine, "failed", "exit", "flyd");
        return;
      }
      this.state.setMachineState(machine, "started", "start", "flyd");
      this.afterStart(app, machine, generation, image);
    }, delayMs);
  }

  /** What a started machine does next: run its one-shot command and exit, crash and restart, or serve. */
  private afterStart(
    app: AppRecord,
    machine: MachineRecord,
    generation: number,
    image: ImageRecord | null,
  ): void {
    const config = currentMachineVersion(machine).config;
    if (runsToCompletion(config)) {
      this.state.schedule(() => {
        if (machine.generation === generation && machine.state === "started")
          this.exitOnce(machine, image?.releaseCommandExitCode ?? 0);
      }, this.state.timing.runTimeMs);
      return;
    }
    if (image?.crashExitCode != null) {
      if (restartPolicyOf(config) === "no") {
        this.state.schedule(() => {
          if (machine.generation === generation && machine.state === "started")
            this.exitOnce(machine, image.crashExitCode ?? 1);
        }, this.state.timing.crashAfterMs);
      } else {
        this.scheduleCrash(machine, generation, image.crashExitCode);
      }
    }
    this.scheduleChecks(app, machine, generation);
  }

  /** Check results appear only after the app's delay (one by one with a stagger); until then `[]`. */
  private scheduleChecks(app: AppRecord, machine: MachineRecord, generation: number): void {
    const count = this.state.checkNames(app, machine).length;
    if (count === 0) return;
    const delay = app.checkDelayMs ?? this.state.timing.checkDelayMs;
    const steps = app.checkStaggerMs > 0 ? count : 1;
    for (let step = 1; step <= steps; step++) {
      this.state.schedule(
        () => {
          if (machine.generation !== generation || machine.state !== "started") return;
          const running = this.state.findImage(currentMachineVersion(machine).config.image ?? "");
          const shown = steps === 1 ? count : step;
          machine.checks = this.state.checkResults(
            app,
            machine,
            running?.bad ? "critical" : "passing",
            shown,
          );
          this.state.touch(machine);
        },
        delay + (step - 1) * app.checkStaggerMs,
      );
    }
  }

  /**
   * A crash loop: the main process exits with `exitCode` shortly after each start and flyd restarts it
   * at once, so the machine stays `started` while `exit` events (not requested, restarting, growing
   * `restart_count`) pile up. Runs in the background (not part of `idle()`) until the machine changes,
   * or until `restart.max_retries` when the policy is `on-failure` and sets one; then it stays `stopped`.
   */
  private scheduleCrash(machine: MachineRecord, generation: number, exitCode: number): void {
    this.state.schedule(
      () => {
        if (machine.generation !== generation || machine.state !== "started") return;
        const config = currentMachineVersion(machine).config;
        const maxRetries = maxRetriesOf(config);
        if (maxRetries !== null && machine.restartCount >= maxRetries) {
          this.exitOnce(machine, exitCode);
          return;
        }
        machine.restartCount++;
        this.state.pushEvent(machine, {
          type: "exit",
          status: "stopped",
          source: "flyd",
          request: {
            exit_event: exitEvent(exitCode, this.state.now(), { restarting: true }),
            restart_count: machine.restartCount,
          },
        });
        this.state.touch(machine);
        this.state.schedule(
          () => {
            if (machine.generation !== generation || machine.state !== "started") return;
            this.state.pushEvent(machine, { type: "start", status: "started", source: "flyd" });
            this.state.touch(machine);
            this.scheduleCrash(machine, generation, exitCode);
          },
          this.state.timing.restartDelayMs,
          { background: true },
        );
      },
      this.state.timing.crashAfterMs,
      { background: true },
    );
  }

  /** The main process exits for good: an `exit` event with the code, `stopped`, then destroyed if `auto_destroy`. */
  private exitOnce(machine: MachineRecord, exitCode: number): void {
    const generation = ++machine.generation;
    machine.checks = [];
    machine.state = "stopped";
    this.state.pushEvent(machine, {
      type: "exit",
      status: "stopped",
      source: "flyd",
      request: {
        exit_event: exitEvent(exitCode, this.state.now(), {}),
        restart_count: machine.restartCount,
      },
    });
    this.state.touch(machine);
    if (currentMachineVersion(machine).config.auto_destroy === true) {
      this.state.schedule(() => {
        if (machine.generation !== generation) return;
        this.state.setMachineState(machine, "destroying", "destroy", "flyd");
        this.state.schedule(() => {
          if (machine.generation === generation) this.state.setMachineState(machine, "destroyed");
        }, this.state.timing.stopTimeMs);
      }, this.state.timing.stopTimeMs);
    }
  }
}
