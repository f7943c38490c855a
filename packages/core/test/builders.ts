import type { FlyMachine, FlyRelease } from "../src/index.js";

/** A digest that is stable per name, so fixtures read as names and not hex. */
export function digestOf(name: string): string {
  let hex = "";
  for (let i = 0; hex.length < 64; i++) {
    hex += ((name.charCodeAt(i % name.length) * 31 + i * 7) % 256).toString(16).padStart(2, "0");
  }
  return `sha256:${hex.slice(0, 64)}`;
}

export function release(overrides: Partial<FlyRelease> & Pick<FlyRelease, "version">): FlyRelease {
  return {
    id: `rel_${overrides.version}`,
    status: "complete",
    stable: true,
    reason: "deploy",
    description: "Deploy image",
    user: "alice@acme.test",
    createdAt: new Date(Date.UTC(2026, 0, 1) + overrides.version * 3_600_000).toISOString(),
    imageRef: null,
    imageDigest: null,
    metadata: null,
    ...overrides,
  };
}

export function machine(overrides: Partial<FlyMachine> & Pick<FlyMachine, "id">): FlyMachine {
  const image = overrides.image ?? "registry.fly.io/acme-web:3.1.12";
  const processGroup = overrides.processGroup ?? "app";
  return {
    name: `machine-${overrides.id}`,
    region: "ams",
    state: "started",
    processGroup,
    instanceId: `01HV${overrides.id.toUpperCase()}`,
    image,
    imageRef: {
      registry: "registry.fly.io",
      repository: "acme-web",
      tag: image.split(":").pop() ?? null,
      digest: null,
      labels: {},
    },
    metadata: { fly_platform_version: "v2", fly_process_group: processGroup },
    checks: [],
    config: { image, metadata: { fly_platform_version: "v2", fly_process_group: processGroup } },
    updatedAt: null,
    ...overrides,
  };
}

const ref = (tag: string) => `registry.fly.io/acme-web:${tag}`;

/**
 * Modelled on a real app's history: v17, v18 and v23 deploy 3.1.10, 3.1.11 (tagged `v3.1.11`) and
 * 3.1.12; every other release is a scale or region change of what was live, six of them cancelled.
 * 3.1.9 was deployed before v3, so v3..v16 belong to it.
 */
export function acmeWebHistory(): FlyRelease[] {
  const images: Record<string, { ref: string; digest: string }> = {
    "3.1.9": { ref: ref("3.1.9"), digest: digestOf("3.1.9") },
    "3.1.10": { ref: ref("3.1.10"), digest: digestOf("3.1.10") },
    "3.1.11": { ref: ref("v3.1.11"), digest: digestOf("3.1.11") },
    "3.1.12": { ref: ref("3.1.12"), digest: digestOf("3.1.12") },
  };
  const deploys: Record<number, string> = { 17: "3.1.10", 18: "3.1.11", 23: "3.1.12" };
  const cancelled = new Set([5, 9, 12, 20, 25, 26]);
  const releases: FlyRelease[] = [];
  let live = "3.1.9";
  for (let v = 3; v <= 27; v++) {
    const deployed = deploys[v];
    if (deployed) live = deployed;
    const image = images[live]!;
    releases.push(
      release({
        version: v,
        status: cancelled.has(v) ? "cancelled" : "complete",
        reason: deployed ? "deploy" : v % 2 === 0 ? "scale" : "region",
        description: deployed ? "Deploy image" : v % 2 === 0 ? "Scaled app" : "Added region fra",
        imageRef: image.ref,
        imageDigest: image.digest,
        user: v === 23 ? "bob@acme.test" : "alice@acme.test",
      }),
    );
  }
  return releases;
}
