import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadScenario, type Scenario, scenario } from "@semfly/fly-emulator";
import { afterEach, describe, expect, it } from "vitest";
import {
  createRegistryClient,
  defaultLabelSource,
  executeRollout,
  type ImageLabelSource,
  labelSourceChain,
  loadVersionHistory,
  prepareDeploy,
  prepareRollback,
  registryImageLabelSource,
  type SemflyError,
} from "../../src/index.js";
import { APP, demoWorld, FAST_TIMING, type World } from "../rollout/world.js";

let world: World | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await world?.close();
  world = undefined;
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function start(options: Parameters<typeof demoWorld>[0]): Promise<World> {
  world = await demoWorld(options);
  return world;
}

const PRIVATE = "ghcr.io/acme/web:3.2.0";

async function withPrivateImage(): Promise<Scenario> {
  const demo = await loadScenario("demo");
  demo.registries = [
    {
      host: "ghcr.io",
      credentials: [{ username: "alice", password: "ghcr-pass-42" }],
      images: [
        { ref: PRIVATE, private: true, labels: { "org.opencontainers.image.version": "3.2.0" } },
      ],
    },
  ];
  return demo;
}

/** A registry client for the world with GHCR credentials in a docker config.json of its own. */
async function registryWithCredentials(w: World) {
  const dir = await mkdtemp(join(tmpdir(), "semfly-deploy-"));
  dirs.push(dir);
  const auth = Buffer.from("alice:ghcr-pass-42").toString("base64");
  await writeFile(join(dir, "config.json"), JSON.stringify({ auths: { "ghcr.io": { auth } } }));
  return createRegistryClient({
    flyToken: w.emulator.token,
    baseUrl: w.emulator.env.SEMFLY_REGISTRY_URL,
    dockerConfig: { env: { DOCKER_CONFIG: dir } },
  });
}

describe("deploying an image from another registry", () => {
  it("refuses a private image elsewhere, saying to push it to registry.fly.io/<app>", async () => {
    const w = await start({ scenario: await withPrivateImage() });
    const registry = await registryWithCredentials(w);
    w.emulator.clearRequestLog();
    const error = (await prepareDeploy(w.client, APP, {
      version: "3.2.0",
      imageRef: PRIVATE,
      registry,
    }).catch((e: unknown) => e)) as SemflyError;
    expect(error).toMatchObject({ code: "PRIVATE_IMAGE", kind: "input" });
    expect(error.message).toBe(
      "ghcr.io/acme/web:3.2.0 is private to ghcr.io: Fly machines cannot pull it (they get no credentials for other registries).",
    );
    expect(error.suggestion).toBe(
      "Push it to registry.fly.io/acme-web: `semfly deploy 3.2.0 --image ghcr.io/acme/web:3.2.0 --push` copies it there (as `fly deploy --local-only` would push it).",
    );
    expect(w.emulator.mutatingRequests()).toEqual([]);
  });

  it("copies it to registry.fly.io/<app> with --push and deploys the copy by digest", async () => {
    const w = await start({ scenario: await withPrivateImage() });
    const registry = await registryWithCredentials(w);
    const { plan } = await prepareDeploy(w.client, APP, {
      version: "3.2.0",
      imageRef: PRIVATE,
      registry,
      push: true,
    });
    expect(plan.to.image).toMatch(/^registry\.fly\.io\/acme-web@sha256:[0-9a-f]{64}$/);
    const copy = w.emulator.images(APP).find((i) => i.ref === "registry.fly.io/acme-web:3.2.0");
    expect(copy?.labels).toEqual({ "org.opencontainers.image.version": "3.2.0" });
    expect(copy?.digest).toBe(plan.to.digest);
    // Blobs first (across registries: uploaded), then the manifest.
    const pushes = w.emulator.mutatingRequests().map((r) => r.operation);
    expect(pushes.at(-1)).toBe("registry.putManifest");
    expect(pushes.filter((o) => o === "registry.upload").length).toBeGreaterThanOrEqual(2);
    const result = await executeRollout(w.client, plan, {
      imageCheck: { registry },
      timing: FAST_TIMING,
    });
    expect(result.status).toBe("complete");
    // Every Fly Launch machine runs the copy; the demo's unmanaged machines keep what they had.
    const managed = new Set(plan.machines.map((m) => m.id));
    const digests = w.emulator
      .machines(APP)
      .filter((m) => managed.has(m.id))
      .map((m) => m.image_ref?.digest);
    expect(new Set(digests)).toEqual(new Set([plan.to.digest]));
  });
});

describe("labels from the registry", () => {
  async function labelOnlyWorld(): Promise<World> {
    const built = scenario("lbl-app")
      .image("2.0.0", { tag: "deployment-01J9ZQ4W5Y0000000000000000" })
      .release({ image: "2.0.0" })
      .image("2.1.0")
      .release({ image: "2.1.0" })
      .machines(2)
      .build();
    return start({ scenario: built });
  }

  it("recognises a label-only version from its config blob, and asks the registry once per digest", async () => {
    const w = await labelOnlyWorld();
    // Without labels from anywhere, nothing but the tag could name the old image: no version.
    const bare = await loadVersionHistory(w.client, "lbl-app", { labels: false });
    const unversioned = bare.versions.find((v) => v.version === null);
    expect(unversioned?.imageRef).toBe(
      "registry.fly.io/lbl-app:deployment-01J9ZQ4W5Y0000000000000000",
    );
    const source = registryImageLabelSource(w.registry);
    const history = await loadVersionHistory(w.client, "lbl-app", { labels: source });
    expect(history.versions.map((v) => v.version)).toEqual(["2.1.0", "2.0.0"]);
    const asked = w.emulator.requestLog.filter((r) => r.service === "registry").length;
    expect(asked).toBeGreaterThan(0);
    await loadVersionHistory(w.client, "lbl-app", { labels: source });
    expect(w.emulator.requestLog.filter((r) => r.service === "registry").length).toBe(asked);
  });

  it("asks the registry only about what GraphQL's image config left unlabelled", async () => {
    const w = await labelOnlyWorld();
    const empty: ImageLabelSource = {
      name: "no-labels",
      lookup: async (_app, images) => new Map(images.map((i) => [i.digest, {}])),
    };
    const chained = labelSourceChain([empty, registryImageLabelSource(w.registry)]);
    const history = await loadVersionHistory(w.client, "lbl-app", { labels: chained });
    expect(history.versions.map((v) => v.version)).toEqual(["2.1.0", "2.0.0"]);
    const graphqlFirst = defaultLabelSource(w.client, w.registry);
    w.emulator.clearRequestLog();
    await loadVersionHistory(w.client, "lbl-app", { labels: graphqlFirst });
    // The emulator's GraphQL image config carries labels, so the registry is never asked.
    expect(w.emulator.requestLog.filter((r) => r.service === "registry")).toEqual([]);
  });
});

describe("Docker Hub images", () => {
  const mirror = (tag: string) => `docker-hub-mirror.fly.io/acme/web:${tag}`;

  async function hubWorld(): Promise<World> {
    const built = scenario("hub-app").build();
    const app = built.apps[0]!;
    app.images = [
      { ref: mirror("3.1.0") },
      { ref: mirror("3.2.0") },
      { ref: "docker.io/acme/web:v3.0.0" },
    ];
    app.releases = [
      { version: 1, image: "docker.io/acme/web:v3.0.0" },
      { version: 2, image: mirror("3.1.0") },
      { version: 3, image: mirror("3.2.0") },
    ];
    app.machines = [{ region: "ams" }, { region: "iad" }];
    return start({ scenario: built });
  }

  it("recognises a Docker Hub mirror history by tag", async () => {
    const w = await hubWorld();
    const history = await loadVersionHistory(w.client, "hub-app");
    expect(history.versions.map((v) => [v.version, v.status])).toEqual([
      ["3.2.0", "live"],
      ["3.1.0", "previous"],
      ["3.0.0", "superseded"],
    ]);
  });

  it("rolls back on Fly's mirror, pinned by digest, after asking Docker Hub anonymously", async () => {
    const w = await hubWorld();
    const { plan } = await prepareRollback(w.client, "hub-app", { target: { spec: "previous" } });
    expect(plan.to.image).toBe(`docker-hub-mirror.fly.io/acme/web@${plan.to.digest}`);
    const result = await executeRollout(w.client, plan, {
      imageCheck: { registry: w.registry },
      timing: FAST_TIMING,
    });
    expect(result.status).toBe("complete");
    const release = w.emulator.releases("hub-app").at(-1);
    expect(release?.metadata).toMatchObject({
      semfly: { version: "3.1.0", imageCheck: { outcome: "exists", source: "registry" } },
    });
    const asked = w.emulator.requestLog.filter((r) => r.service === "registry").map((r) => r.path);
    expect(asked).toContain("/oci/auth.docker.io/token");
    expect(asked).toContain(`/oci/registry-1.docker.io/v2/acme/web/manifests/${plan.to.digest}`);
  });
});
