import { buildSchema, parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { flyGraphqlSubsetSdl, MAX_PAGE_SIZE } from "../src/index.js";
import { gql, start } from "./helpers.js";

// The query fly-go's GetAppReleasesMachines sends (API-NOTES §2.1).
const FLYCTL_RELEASES = `query GetAppReleasesMachines($appName: String!, $limit: Int!) {
  app(name: $appName) {
    releases: releasesUnprocessed(first: $limit) {
      nodes { id version description reason status imageRef stable user { id email name } createdAt }
    }
  }
}`;

const PAGE = `query Page($app: String!, $first: Int, $after: String) {
  app(name: $app) {
    releases(first: $first, after: $after) {
      totalCount
      pageInfo { endCursor hasNextPage hasPreviousPage startCursor }
      edges { cursor node { version status imageRef metadata image { digest tag } } }
    }
  }
}`;

interface PageData {
  app: {
    releases: {
      totalCount: number;
      pageInfo: { endCursor: string | null; hasNextPage: boolean };
      edges: Array<{ cursor: string; node: { version: number; image: { tag: string } | null } }>;
    };
  };
}

describe("GraphQL API", () => {
  it("answers flyctl's releases query newest first", async () => {
    const emulator = await start();
    const res = await gql<{
      app: { releases: { nodes: Array<{ version: number; user: { email: string } }> } };
    }>(emulator, FLYCTL_RELEASES, { appName: "acme-web", limit: 25 });
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    const versions = res.data?.app.releases.nodes.map((n) => n.version);
    expect(versions).toEqual(Array.from({ length: 25 }, (_, i) => 27 - i));
    expect(res.data?.app.releases.nodes[0]?.user.email).toBe("alice@acme.test");
  });

  it("pages through releases with opaque cursors", async () => {
    const emulator = await start();
    const seen: number[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const res: Awaited<ReturnType<typeof gql<PageData>>> = await gql<PageData>(emulator, PAGE, {
        app: "acme-web",
        first: 10,
        after,
      });
      const connection = res.data?.app.releases;
      expect(connection?.totalCount).toBe(25);
      seen.push(...(connection?.edges.map((e) => e.node.version) ?? []));
      after = connection?.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => 27 - i));
  });

  it("caps a page at the maximum page size", async () => {
    const emulator = await start();
    emulator.setRateLimits(false);
    for (let i = 0; i < 120; i++)
      emulator.addRelease("acme-web", { reason: "scale", description: "Scaled" });
    const res = await gql<PageData>(emulator, PAGE, { app: "acme-web", first: 1000 });
    expect(res.data?.app.releases.edges).toHaveLength(MAX_PAGE_SIZE);
    expect(res.data?.app.releases.pageInfo.hasNextPage).toBe(true);
  });

  it("answers NOT_FOUND for an unknown app, with data.app null", async () => {
    const emulator = await start();
    const res = await gql(emulator, FLYCTL_RELEASES, { appName: "nope", limit: 5 });
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ app: null });
    expect(res.errors).toEqual([
      expect.objectContaining({
        message: "Could not find App",
        path: ["app"],
        extensions: { code: "NOT_FOUND" },
      }),
    ]);
  });

  it("answers 401 with an errors body without a valid token", async () => {
    const emulator = await start();
    const res = await gql(
      emulator,
      FLYCTL_RELEASES,
      { appName: "acme-web", limit: 5 },
      { auth: "Bearer wrong" },
    );
    expect(res.status).toBe(401);
    expect(res.errors?.[0]?.extensions?.code).toBe("UNAUTHORIZED");
  });

  it("resolves images by tag and digest refs and exposes OCI labels", async () => {
    const emulator = await start();
    const query = `query($app: String!, $ref: String!) { app(name: $app) { image(ref: $ref) {
      id digest ref registry repository tag label absoluteRef compressedSizeFull createdAt configDigest config manifest } } }`;
    const byTag = await gql<{
      app: {
        image: Record<string, unknown> & { config: { config: { Labels: Record<string, string> } } };
      };
    }>(emulator, query, { app: "acme-web", ref: "registry.fly.io/acme-web:v3.1.11" });
    const image = byTag.data?.app.image;
    expect(image).toMatchObject({
      registry: "registry.fly.io",
      repository: "acme-web",
      tag: "v3.1.11",
    });
    expect(image?.config.config.Labels["org.opencontainers.image.version"]).toBe("3.1.11");
    expect(image?.config.config.Labels["org.opencontainers.image.revision"]).toMatch(
      /^[0-9a-f]{40}$/,
    );
    expect(typeof image?.compressedSizeFull).toBe("string");
    const byDigest = await gql<{ app: { image: { tag: string; digest: string } } }>(
      emulator,
      query,
      {
        app: "acme-web",
        ref: `registry.fly.io/acme-web@${image?.digest}`,
      },
    );
    expect(byDigest.data?.app.image.digest).toBe(image?.digest);
  });

  it("answers null for an image the registry no longer has", async () => {
    const emulator = await start();
    expect(emulator.removeImage("acme-web", "registry.fly.io/acme-web:3.1.9")).toBe(true);
    const res = await gql<{
      app: { image: unknown; release: { imageRef: string; image: unknown } };
    }>(
      emulator,
      `query { app(name: "acme-web") { image(ref: "registry.fly.io/acme-web:3.1.9") { digest }
        release(version: 3) { imageRef image { digest } } } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.app.image).toBeNull();
    expect(res.data?.app.release).toEqual({
      imageRef: "registry.fly.io/acme-web:3.1.9",
      image: null,
    });
  });

  it("serves the current release and a release by version or id", async () => {
    const emulator = await start();
    const res = await gql<{
      app: {
        currentRelease: { version: number; id: string };
        currentReleaseUnprocessed: { version: number };
        release: { version: number; metadata: unknown; deploymentStrategy: string };
      };
    }>(
      emulator,
      `query { app(name: "acme-web") { currentRelease { version id } currentReleaseUnprocessed { version }
        release(version: 18) { version metadata deploymentStrategy } } }`,
    );
    expect(res.data?.app.currentRelease.version).toBe(27);
    expect(res.data?.app.currentReleaseUnprocessed.version).toBe(27);
    expect(res.data?.app.release).toMatchObject({ version: 18, deploymentStrategy: "ROLLING" });
    const byId = await gql<{ app: { release: { version: number } } }>(
      emulator,
      `query($id: ID) { app(name: "acme-web") { release(id: $id) { version } } }`,
      { id: res.data?.app.currentRelease.id },
    );
    expect(byId.data?.app.release.version).toBe(27);
  });

  it("filters releasesUnprocessed by status", async () => {
    const emulator = await start();
    const res = await gql<{
      app: { releasesUnprocessed: { totalCount: number; nodes: Array<{ status: string }> } };
    }>(
      emulator,
      `query { app(name: "acme-web") { releasesUnprocessed(first: 50, status: "complete") { totalCount nodes { status } } } }`,
    );
    expect(res.data?.app.releasesUnprocessed.totalCount).toBe(19);
    expect(new Set(res.data?.app.releasesUnprocessed.nodes.map((n) => n.status))).toEqual(
      new Set(["complete"]),
    );
  });

  it("creates and updates releases through the GraphQL mutations", async () => {
    const emulator = await start();
    const created = await gql<{
      createRelease: { release: { id: string; version: number; status: string } };
    }>(
      emulator,
      `mutation($input: CreateReleaseInput!) { createRelease(input: $input) { release { id version status } } }`,
      {
        input: {
          appId: "acme-web",
          definition: {},
          image: "registry.fly.io/acme-web:3.1.10",
          platformVersion: "machines",
          strategy: "IMMEDIATE",
        },
      },
    );
    const release = created.data?.createRelease.release;
    expect(release).toMatchObject({ version: 28, status: "pending" });
    const update = `mutation($input: UpdateReleaseInput!) { updateRelease(input: $input) { release { id status metadata } } }`;
    await gql(emulator, update, { input: { releaseId: release?.id, status: "running" } });
    const done = await gql<{ updateRelease: { release: { status: string; metadata: unknown } } }>(
      emulator,
      update,
      {
        input: {
          releaseId: release?.id,
          status: "complete",
          metadata: { semfly: { target: "3.1.10" } },
        },
      },
    );
    expect(done.data?.updateRelease.release).toMatchObject({
      status: "complete",
      metadata: { semfly: { target: "3.1.10" } },
    });
    const refused = await gql(emulator, update, {
      input: { releaseId: release?.id, status: "failed" },
    });
    expect(refused.errors?.[0]?.message).toBe("the release has already finished");
  });

  it("answers viewer with the token's user", async () => {
    const emulator = await start();
    const res = await gql<{ viewer: { email: string } }>(
      emulator,
      "query { viewer { email name } }",
    );
    expect(res.data?.viewer.email).toBe("alice@acme.test");
  });

  it("exports an SDL that validates the documents the client sends", () => {
    const schema = buildSchema(flyGraphqlSubsetSdl);
    expect(validate(schema, parse(FLYCTL_RELEASES))).toEqual([]);
    expect(validate(schema, parse(PAGE))).toEqual([]);
    expect(
      validate(schema, parse('query { app(name: "x") { releases { nodes { notAField } } } }')),
    ).not.toEqual([]);
  });
});
