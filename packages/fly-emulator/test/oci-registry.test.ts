import { describe, expect, it } from "vitest";
import { loadScenario, type Scenario } from "../src/index.js";
import { call, gql, start } from "./helpers.js";

const FLY = "/oci/registry.fly.io/v2";
const HUB = "/oci/registry-1.docker.io/v2";
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

async function withRegistries(extra: Partial<Scenario> = {}): Promise<Scenario> {
  const scenario = await loadScenario("demo");
  scenario.registries = [
    {
      host: "docker.io",
      credentials: [{ username: "alice", password: "hub-pass" }],
      images: [
        {
          ref: "docker.io/acme/web:3.1.0",
          labels: { "org.opencontainers.image.version": "3.1.0" },
        },
        { ref: "docker.io/acme/secret:1.0.0", private: true },
        { ref: "docker.io/library/nginx:1.27.0", platforms: ["linux/amd64", "linux/arm64"] },
      ],
    },
  ];
  return { ...scenario, ...extra };
}

/** The Bearer realm flow as Docker runs it: 401 with a challenge, then a token from the realm. */
async function bearerFor(
  emulator: Awaited<ReturnType<typeof start>>,
  path: string,
  credentials?: string,
) {
  const first = await call(emulator, "GET", path, { auth: null });
  expect(first.status).toBe(401);
  const challenge = first.headers.get("www-authenticate") ?? "";
  const realm = /realm="([^"]+)"/.exec(challenge)?.[1] ?? "";
  const service = /service="([^"]+)"/.exec(challenge)?.[1] ?? "";
  const scope = /scope="([^"]+)"/.exec(challenge)?.[1] ?? "";
  const url = new URL(realm);
  url.searchParams.set("service", service);
  url.searchParams.set("scope", scope);
  const res = await fetch(url, credentials ? { headers: { authorization: credentials } } : {});
  return { status: res.status, body: (await res.json()) as { token?: string } };
}

describe("OCI registry for registry.fly.io", () => {
  it("answers 401 without Basic x:<token>, whether or not the image exists", async () => {
    const emulator = await start({ scenario: await withRegistries() });
    const [image] = emulator.images("acme-web");
    const there = await call(emulator, "HEAD", `${FLY}/acme-web/manifests/${image?.digest}`, {
      auth: null,
    });
    const missing = await call(
      emulator,
      "HEAD",
      `${FLY}/acme-web/manifests/sha256:${"0".repeat(64)}`,
      {
        auth: null,
      },
    );
    expect([there.status, missing.status]).toEqual([401, 401]);
    expect(there.headers.get("www-authenticate")).toBe('Basic realm="registry.fly.io"');
  });

  it("finds a manifest by digest, its config blob carries the labels, and pruning makes it 404", async () => {
    const emulator = await start({ scenario: await withRegistries() });
    const image = emulator.images("acme-web").find((i) => i.tag === "v3.1.11");
    const auth = basic("x", emulator.token);
    const head = await call(emulator, "HEAD", `${FLY}/acme-web/manifests/${image?.digest}`, {
      auth,
    });
    expect(head.status).toBe(200);
    expect(head.headers.get("docker-content-digest")).toBe(image?.digest);
    const manifest = await call<{ config: { digest: string } }>(
      emulator,
      "GET",
      `${FLY}/acme-web/manifests/${image?.digest}`,
      { auth },
    );
    const config = await call<{ config: { Labels: Record<string, string> } }>(
      emulator,
      "GET",
      `${FLY}/acme-web/blobs/${manifest.body.config.digest}`,
      { auth },
    );
    expect(config.body.config.Labels["org.opencontainers.image.version"]).toBe("3.1.11");
    emulator.removeImage("acme-web", "registry.fly.io/acme-web:v3.1.11");
    const gone = await call<{ errors: Array<{ code: string }> }>(
      emulator,
      "HEAD",
      `${FLY}/acme-web/manifests/${image?.digest}`,
      { auth },
    );
    expect(gone.status).toBe(404);
    expect(
      emulator.requestLog.every((entry) => entry.service === "registry" && !entry.mutating),
    ).toBe(true);
  });
});

describe("OCI registry stand-ins for Docker Hub", () => {
  it("gives anonymous tokens that pull public repositories only", async () => {
    const emulator = await start({ scenario: await withRegistries() });
    const publicToken = await bearerFor(emulator, `${HUB}/acme/web/manifests/3.1.0`);
    expect(publicToken.status).toBe(200);
    const ok = await call(emulator, "GET", `${HUB}/acme/web/manifests/3.1.0`, {
      auth: `Bearer ${publicToken.body.token}`,
    });
    expect(ok.status).toBe(200);
    const privateToken = await bearerFor(emulator, `${HUB}/acme/secret/manifests/1.0.0`);
    const denied = await call(emulator, "GET", `${HUB}/acme/secret/manifests/1.0.0`, {
      auth: `Bearer ${privateToken.body.token}`,
    });
    // Docker Hub answers a private repository and a missing one alike to an anonymous caller.
    const missingToken = await bearerFor(emulator, `${HUB}/acme/nothing/manifests/1.0.0`);
    const missing = await call(emulator, "GET", `${HUB}/acme/nothing/manifests/1.0.0`, {
      auth: `Bearer ${missingToken.body.token}`,
    });
    expect([denied.status, missing.status]).toEqual([401, 401]);
  });

  it("pulls a private repository with credentials and refuses wrong ones at the realm", async () => {
    const emulator = await start({ scenario: await withRegistries() });
    const path = `${HUB}/acme/secret/manifests/1.0.0`;
    const wrong = await bearerFor(emulator, path, basic("alice", "nope"));
    expect(wrong.status).toBe(401);
    const right = await bearerFor(emulator, path, basic("alice", "hub-pass"));
    const pulled = await call(emulator, "GET", path, { auth: `Bearer ${right.body.token}` });
    expect(pulled.status).toBe(200);
  });

  it("serves a multi-arch index whose platform manifests are reachable by digest", async () => {
    const emulator = await start({ scenario: await withRegistries() });
    const path = `${HUB}/library/nginx/manifests/1.27.0`;
    const { body } = await bearerFor(emulator, path);
    const auth = `Bearer ${body.token}`;
    const index = await call<{
      mediaType: string;
      manifests: Array<{ digest: string; platform: { architecture: string } }>;
    }>(emulator, "GET", path, { auth });
    expect(index.body.mediaType).toBe("application/vnd.oci.image.index.v1+json");
    const amd64 = index.body.manifests.find((m) => m.platform.architecture === "amd64");
    const child = await call(emulator, "HEAD", `${HUB}/library/nginx/manifests/${amd64?.digest}`, {
      auth,
    });
    expect(child.status).toBe(200);
    emulator.registry.prune(`docker.io/library/nginx@${amd64?.digest}`);
    const pruned = await call(emulator, "HEAD", `${HUB}/library/nginx/manifests/${amd64?.digest}`, {
      auth,
    });
    expect(pruned.status).toBe(404);
  });
});

describe("GraphQL app.image and the registries", () => {
  const query = `query($ref: String!) { app(name: "acme-web") { image(ref: $ref) { ref digest } } }`;

  it.each([
    ["resolves", "resolved"],
    ["null", "null"],
    ["error", "error"],
  ] as const)("answers digest refs as configured: %s", async (mode, expected) => {
    const emulator = await start({ scenario: await withRegistries({ imageDigestRefs: mode }) });
    const image = emulator.images("acme-web").find((i) => i.tag === "v3.1.11");
    const byTag = await gql<{ app: { image: { digest: string } } }>(emulator, query, {
      ref: "registry.fly.io/acme-web:v3.1.11",
    });
    expect(byTag.data?.app.image.digest).toBe(image?.digest);
    const byDigest = await gql<{ app: { image: { digest: string } | null } }>(emulator, query, {
      ref: `registry.fly.io/acme-web@${image?.digest}`,
    });
    const got = byDigest.errors ? "error" : byDigest.data?.app.image ? "resolved" : "null";
    expect(got).toBe(expected);
  });

  it("resolves public Docker Hub images onto Fly's mirror and refuses private ones", async () => {
    const emulator = await start({ scenario: await withRegistries() });
    const hub = await gql<{ app: { image: { ref: string } } }>(emulator, query, {
      ref: "docker.io/acme/web:3.1.0",
    });
    expect(hub.data?.app.image.ref).toBe("docker-hub-mirror.fly.io/acme/web:3.1.0");
    const secret = await gql(emulator, query, { ref: "docker.io/acme/secret:1.0.0" });
    expect(secret.errors?.[0]?.message).toBe(
      'Authentication required to access image "docker.io/acme/secret:1.0.0"',
    );
  });
});
