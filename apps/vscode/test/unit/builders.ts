/**
 * Typed builders for Fly data: each defaults what a test does not care about. Histories are built by
 * core's own buildVersionHistory, so the tree is tested against the model the extension really gets.
 */
import {
  buildVersionHistory,
  type FlyMachine,
  type FlyRelease,
  parkedConfig,
  type VersionHistory,
} from "@semfly/core";
import type { Emitter, EmitterFactory } from "../../src/model/events.js";

export const NOW = Date.parse("2026-11-26T12:00:00Z");
const HOUR = 3_600_000;

export function digestFor(version: string): string {
  let hex = "";
  for (const char of version) hex += char.charCodeAt(0).toString(16);
  return `sha256:${hex.padEnd(64, "0").slice(0, 64)}`;
}

export function release(
  version: number,
  image: string,
  overrides: Partial<FlyRelease> = {},
): FlyRelease {
  return {
    id: `rel_${version}`,
    version,
    status: "complete",
    stable: true,
    reason: "deploy",
    description: `Deploy image ${image}`,
    user: "alice@example.com",
    createdAt: new Date(NOW - (100 - version) * HOUR).toISOString(),
    imageRef: `registry.fly.io/acme-web:${image}`,
    imageDigest: digestFor(image),
    metadata: null,
    ...overrides,
  };
}

export function machine(
  id: string,
  image: string,
  overrides: Partial<FlyMachine> = {},
): FlyMachine {
  const ref = `registry.fly.io/acme-web:${image}`;
  return {
    id,
    name: `${id}-name`,
    region: "ams",
    state: "started",
    processGroup: "app",
    instanceId: `inst_${id}`,
    image: ref,
    imageRef: {
      registry: "registry.fly.io",
      repository: "acme-web",
      tag: image,
      digest: digestFor(image),
      labels: {},
    },
    metadata: { fly_platform_version: "v2", fly_process_group: "app" },
    checks: [{ name: "http", status: "passing", output: "200 OK", updatedAt: null }],
    config: { image: ref },
    updatedAt: null,
    ...overrides,
  };
}

/**
 * acme-web: 3.0.0 (v1) → 3.1.0 failed (v2) → 3.1.11 (v3) → an untagged build (v4) → 3.2.0 live (v5,
 * two hours ago), with two machines on 3.2.0.
 */
/** The releases of demoHistory: 3.0.0, a failed 3.1.0, 3.1.11, an untagged build, 3.2.0 live. */
export function demoReleases(): FlyRelease[] {
  return [
    release(1, "v3.0.0"),
    release(2, "v3.1.0", { status: "failed" }),
    release(3, "v3.1.11"),
    release(4, "deployment-01HZX", { user: "bob@example.com" }),
    release(5, "v3.2.0", { createdAt: new Date(NOW - 2 * HOUR).toISOString() }),
  ];
}

export function demoHistory(machines?: FlyMachine[]): VersionHistory {
  return buildVersionHistory({
    app: "acme-web",
    releases: demoReleases(),
    machines: machines ?? [machine("m1", "v3.2.0"), machine("m2", "v3.2.0", { region: "fra" })],
  });
}

/** A plain emitter with vscode.EventEmitter's shape. */
export const plainEmitters: EmitterFactory = <T>(): Emitter<T> => {
  const listeners = new Set<(event: T) => unknown>();
  return {
    event: (listener) => {
      listeners.add(listener);
      return { dispose: () => listeners.delete(listener) };
    },
    fire: (event) => {
      for (const listener of [...listeners]) listener(event);
    },
    dispose: () => listeners.clear(),
  };
};

/**
 * A machine a bluegreen cut-over parked on `image`: cordoned-and-stopped state, no Fly Launch platform
 * version, and the park labels core writes (parkedConfig), so core's own rules read it as parked.
 */
export function parkedMachine(
  id: string,
  image: string,
  park: { set: string; until: string; version?: string | null },
  overrides: Partial<FlyMachine> = {},
): FlyMachine {
  const base = machine(id, image, { state: "stopped", checks: [], ...overrides });
  const config = parkedConfig(
    { ...base.config, metadata: { ...base.metadata } },
    {
      set: park.set,
      version: park.version === undefined ? image.replace(/^v/, "") : park.version,
      digest: digestFor(image),
      expiresAt: park.until,
      parkedAt: "2026-11-26T12:00:00.000Z",
      cold: false,
    },
  );
  return { ...base, config, metadata: config.metadata ?? {} };
}
