import { loadScenario } from "@semfly/fly-emulator";
import { afterEach, describe, expect, it } from "vitest";
import {
  checkImage,
  createRegistryClient,
  executeRollout,
  loadVersionHistory,
  prepareRollback,
  type SemflyError,
} from "../../src/index.js";
import { APP, demoWorld, FAST_TIMING, latestRelease, type World } from "../rollout/world.js";

let world: World | undefined;
afterEach(async () => {
  if (world) expect(world.emulator.leases(APP)).toEqual([]);
  await world?.close();
  world = undefined;
});

async function start(options: Parameters<typeof demoWorld>[0] = {}): Promise<World> {
  world = await demoWorld(options);
  return world;
}

async function plan(w: World, spec: string) {
  return (await prepareRollback(w.client, APP, { target: { spec } })).plan;
}

/** No docker config of the developer's may answer for a test. */
const noDockerConfig = { env: { DOCKER_CONFIG: "/nonexistent/semfly-test" } };

/** Nobody can answer: the registry and GraphQL `app.image` both fail (an outage, say). */
const outage = {
  rules: [
    { service: "registry" as const, action: { type: "status" as const, status: 503 as const } },
    { operation: "SemflyResolveImage", action: { type: "status" as const, status: 503 as const } },
  ],
};

describe("the image check before a rollback", () => {
  it("rolls back when app.image does not resolve digest refs, because the registry says the image exists", async () => {
    const w = await start({
      scenario: {
        ...(await loadScenario("demo")),
        imageDigestRefs: "null",
      },
    });
    const target = await plan(w, "3.1.10");
    // The reading that would refuse every rollback: Fly answers null for the digest ref the rollout uses.
    expect(await w.client.resolveImage(APP, target.to.image)).toBeNull();
    const result = await executeRollout(w.client, target, {
      imageCheck: { registry: w.registry },
      timing: FAST_TIMING,
    });
    expect(result.status).toBe("complete");
    expect(latestRelease(w.emulator).metadata).toMatchObject({
      semfly: { imageCheck: { outcome: "exists", source: "registry" } },
    });
  });

  it("asks app.image with the version's tag when the registry cannot answer, and compares digests", async () => {
    const w = await start();
    const target = await plan(w, "3.1.10");
    const noCredentials = createRegistryClient({
      baseUrl: w.emulator.env.SEMFLY_REGISTRY_URL,
      dockerConfig: noDockerConfig,
    });
    w.emulator.clearRequestLog();
    const result = await executeRollout(w.client, target, {
      timing: FAST_TIMING,
      imageCheck: { registry: noCredentials },
    });
    expect(result.status).toBe("complete");
    expect(latestRelease(w.emulator).metadata).toMatchObject({
      semfly: { imageCheck: { outcome: "exists", source: "graphql" } },
    });
    // The tag ref is what it asked about (flyctl only ever passes tag refs).
    expect(target.to.tagRef).toBe("registry.fly.io/acme-web:3.1.10");
  });

  it("refuses a pruned image (the registry's 404) before any change", async () => {
    const w = await start();
    const target = await plan(w, "3.1.10");
    w.emulator.removeImage(APP, "registry.fly.io/acme-web:3.1.10");
    w.emulator.clearRequestLog();
    const error = (await executeRollout(w.client, target, {
      timing: FAST_TIMING,
      imageCheck: { registry: w.registry, skipImageCheck: true },
    }).catch((e: unknown) => e)) as SemflyError;
    expect(error).toMatchObject({ code: "IMAGE_NOT_FOUND", kind: "input" });
    expect(error.message).toContain("HTTP 404");
    expect(w.emulator.mutatingRequests()).toEqual([]);
  });

  it("refuses an unknown with the reasons, never as pruned, and changes nothing", async () => {
    const w = await start();
    const target = await plan(w, "3.1.10");
    w.emulator.setFaults(outage);
    w.emulator.clearRequestLog();
    const error = (await executeRollout(w.client, target, {
      timing: FAST_TIMING,
      imageCheck: { registry: w.registry },
    }).catch((e: unknown) => e)) as SemflyError;
    expect(error.code).toBe("IMAGE_UNKNOWN");
    expect(error.message).toMatch(
      /^Nobody could say whether the image of 3\.1\.10 .* still exists: registry: registry\.fly\.io answered HTTP 503; app\.image\(registry\.fly\.io\/acme-web:3\.1\.10\): .*; machines: none runs it\.$/,
    );
    expect(error.message).not.toMatch(/pruned|no longer/);
    expect(error.suggestion).toContain("--skip-image-check");
    expect(w.emulator.mutatingRequests()).toEqual([]);
  });

  it("goes ahead on an unknown with --skip-image-check, loudly, and records it on the release", async () => {
    const w = await start();
    const target = await plan(w, "3.1.10");
    w.emulator.setFaults(outage);
    const result = await executeRollout(w.client, target, {
      timing: FAST_TIMING,
      imageCheck: { registry: w.registry, skipImageCheck: true },
    });
    expect(result.status).toBe("complete");
    expect(result.warnings[0]).toMatch(
      /^Image check skipped \(--skip-image-check\): nobody could say whether registry\.fly\.io\/acme-web@sha256:[0-9a-f]{64} still exists/,
    );
    const semfly = latestRelease(w.emulator).metadata?.semfly as {
      imageCheck: Record<string, unknown>;
    };
    expect(semfly.imageCheck).toMatchObject({ outcome: "unknown", source: null, skipped: true });
    expect(semfly.imageCheck.unanswered).toHaveLength(3);
  });

  it("takes a machine that runs the digest as proof that it exists", async () => {
    const w = await start();
    const history = await loadVersionHistory(w.client, APP);
    const live = history.live!;
    w.emulator.setFaults(outage);
    const check = await checkImage(
      { registry: w.registry, fly: w.client },
      {
        app: APP,
        image: `registry.fly.io/acme-web@${live.digest}`,
        digest: live.digest!,
        tagRef: null,
        runningOn: live.machines.map((m) => m.id),
      },
    );
    expect(check).toMatchObject({ outcome: "exists", source: "machines" });
    expect(check.unanswered).toHaveLength(2);
  });
});

describe("multi-arch images", () => {
  it("checks the linux/amd64 manifest of an index, and calls it gone once that manifest is pruned", async () => {
    const scenario = await loadScenario("demo");
    scenario.registries = [
      {
        host: "docker.io",
        images: [
          { ref: "docker.io/library/nginx:1.27.0", platforms: ["linux/arm64", "linux/amd64"] },
        ],
      },
    ];
    const w = await start({ scenario });
    const hub = createRegistryClient({
      baseUrl: w.emulator.env.SEMFLY_REGISTRY_URL,
      dockerConfig: noDockerConfig,
    });
    const tag = await hub.resolve("nginx:1.27.0");
    expect(tag.status).toBe("found");
    const digest = tag.status === "found" ? tag.digest : "";
    const found = await hub.checkDigest(`docker-hub-mirror.fly.io/library/nginx@${digest}`, digest);
    expect(found).toMatchObject({
      status: "found",
      mediaType: "application/vnd.oci.image.index.v1+json",
    });
    const platform = found.status === "found" ? found.platformDigest : undefined;
    expect(platform).toMatch(/^sha256:/);
    w.emulator.registry.prune(`docker.io/library/nginx@${platform}`);
    expect(await hub.checkDigest(`nginx@${digest}`, digest)).toMatchObject({ status: "missing" });
  });
});
