import { afterEach, describe, expect, it } from "vitest";
import { caught, type MockFly, mockFly, releaseNode } from "./mock-fly.js";

let fly: MockFly | undefined;
afterEach(async () => {
  await fly?.agent.close();
  fly = undefined;
});

interface GraphqlBody {
  query: string;
  variables: Record<string, unknown>;
}

function page(
  nodes: unknown[],
  endCursor: string | null,
  hasNextPage: boolean,
  totalCount = nodes.length,
) {
  return {
    data: { app: { releases: { nodes, pageInfo: { endCursor, hasNextPage }, totalCount } } },
  };
}

describe("releases over GraphQL", () => {
  it("maps a page of releases, metadata included", async () => {
    fly = mockFly();
    let sent: GraphqlBody | undefined;
    fly.api.intercept({ path: "/graphql", method: "POST" }).reply((req) => {
      sent = JSON.parse(String(req.body));
      return {
        statusCode: 200,
        data: page(
          [
            releaseNode(2, { metadata: { semfly: { version: "1.0.2" } }, user: null, image: null }),
            releaseNode(1, { status: "failed", stable: false }),
          ],
          "cursor-2",
          true,
          40,
        ),
      };
    });
    const result = await fly.client.releasesPage("my-app", { first: 2 });
    expect(sent?.variables).toEqual({ appName: "my-app", first: 2, after: null });
    expect(sent?.query).toContain("releases(first: $first, after: $after)");
    expect(result).toMatchObject({ endCursor: "cursor-2", hasNextPage: true, totalCount: 40 });
    expect(result.releases[0]).toEqual({
      id: "rel_2",
      version: 2,
      status: "complete",
      stable: true,
      reason: "deploy",
      description: "Deploy image v2",
      user: null,
      createdAt: "2025-01-01T00:00:00Z",
      imageRef: "registry.fly.io/my-app:v1.0.2",
      imageDigest: null,
      metadata: { semfly: { version: "1.0.2" } },
    });
    expect(result.releases[1]).toMatchObject({
      status: "failed",
      stable: false,
      user: "dev@example.com",
      imageDigest: "sha256:1",
    });
  });

  it("walks every page with the end cursor and stops when there is no next page", async () => {
    fly = mockFly();
    const afters: unknown[] = [];
    const pages = [
      page([releaseNode(3), releaseNode(2)], "c1", true, 3),
      page([releaseNode(1)], "c2", false, 3),
    ];
    fly.api
      .intercept({ path: "/graphql", method: "POST" })
      .reply((req) => {
        const body = JSON.parse(String(req.body)) as GraphqlBody;
        afters.push(body.variables.after);
        return { statusCode: 200, data: pages[afters.length - 1]! };
      })
      .times(2);
    const versions: number[] = [];
    for await (const p of fly.client.allReleases("my-app", { pageSize: 2 }))
      versions.push(...p.releases.map((r) => r.version));
    expect(versions).toEqual([3, 2, 1]);
    expect(afters).toEqual([null, "c1"]);
  });

  it("reads the current release, or null when the app has none", async () => {
    fly = mockFly();
    fly.api
      .intercept({ path: "/graphql", method: "POST" })
      .reply(200, { data: { app: { currentRelease: releaseNode(5) } } });
    fly.api
      .intercept({ path: "/graphql", method: "POST" })
      .reply(200, { data: { app: { currentRelease: null } } });
    expect((await fly.client.currentRelease("my-app"))?.version).toBe(5);
    expect(await fly.client.currentRelease("my-app")).toBeNull();
  });

  it("reports an unknown app as APP_NOT_FOUND, an input error", async () => {
    fly = mockFly();
    fly.api.intercept({ path: "/graphql", method: "POST" }).reply(
      200,
      {
        data: { app: null },
        errors: [
          {
            message: 'Could not find App "nope"',
            path: ["app"],
            extensions: { code: "NOT_FOUND" },
          },
        ],
      },
      { headers: { "fly-request-id": "gql-req" } },
    );
    const error = await caught(fly.client.releasesPage("nope", { first: 10 }));
    expect(error).toMatchObject({
      code: "APP_NOT_FOUND",
      kind: "input",
      flyCode: "NOT_FOUND",
      requestId: "gql-req",
    });
    expect(error.message).toContain('"nope"');
    expect(error.suggestion).toMatch(/app name/);
  });

  it("turns other GraphQL errors sent with HTTP 200 into a SemflyError with Fly's code", async () => {
    fly = mockFly();
    fly.api.intercept({ path: "/graphql", method: "POST" }).reply(200, {
      data: null,
      errors: [
        { message: "Something broke", extensions: { code: "INTERNAL" } },
        { message: "again" },
      ],
    });
    const error = await caught(fly.client.currentRelease("my-app"));
    expect(error).toMatchObject({
      code: "GRAPHQL_ERROR",
      kind: "api",
      flyCode: "INTERNAL",
      status: 200,
      operation: "read the current release",
    });
    expect(error.message).toContain("Something broke (and 1 more)");
  });

  it.each([
    ["truncated JSON", '{"data":{"app":{"releases":{"nodes":[{"id":"r'],
    ["an empty body", ""],
    ["a wrong field type", JSON.stringify(page([releaseNode(1, { version: "one" })], null, false))],
    [
      "a missing required field",
      JSON.stringify(page([{ ...releaseNode(1), stable: undefined }], null, false)),
    ],
  ])("reports %s as MALFORMED_RESPONSE naming the operation", async (_what, body) => {
    fly = mockFly();
    fly.api.intercept({ path: "/graphql", method: "POST" }).reply(200, body);
    const error = await caught(fly.client.releasesPage("my-app", { first: 1 }));
    expect(error).toMatchObject({ code: "MALFORMED_RESPONSE", operation: "list releases" });
    expect(error.message).toContain("list releases");
  });

  it("names the offending field when a shape is wrong", async () => {
    fly = mockFly();
    fly.api
      .intercept({ path: "/graphql", method: "POST" })
      .reply(200, page([releaseNode(1, { version: "one" })], null, false));
    const error = await caught(fly.client.releasesPage("my-app", { first: 1 }));
    expect(error.message).toContain("app.releases.nodes.0.version");
  });
});

describe("resolveImage", () => {
  const image = {
    ref: "registry.fly.io/my-app:v1.2.3",
    digest: "sha256:feed",
    registry: "registry.fly.io",
    repository: "my-app",
    tag: "v1.2.3",
  };

  it("returns the image with labels from its Docker config", async () => {
    fly = mockFly();
    let variables: unknown;
    fly.api.intercept({ path: "/graphql", method: "POST" }).reply((req) => {
      variables = (JSON.parse(String(req.body)) as GraphqlBody).variables;
      return {
        statusCode: 200,
        data: {
          data: {
            app: {
              image: { ...image, config: { config: { Labels: { "fly.version": "1.2.3", n: 5 } } } },
            },
          },
        },
      };
    });
    expect(await fly.client.resolveImage("my-app", "registry.fly.io/my-app:v1.2.3")).toEqual({
      ...image,
      labels: { "fly.version": "1.2.3" },
    });
    expect(variables).toEqual({ appName: "my-app", ref: "registry.fly.io/my-app:v1.2.3" });
  });

  it("reads top-level Labels and JSON-string configs, and gives {} when there are none", async () => {
    fly = mockFly();
    const reply = (config: unknown) => ({ data: { app: { image: { ...image, config } } } });
    fly.api
      .intercept({ path: "/graphql", method: "POST" })
      .reply(200, reply(JSON.stringify({ Labels: { a: "b" } })));
    fly.api.intercept({ path: "/graphql", method: "POST" }).reply(200, reply({}));
    expect((await fly.client.resolveImage("my-app", "x"))?.labels).toEqual({ a: "b" });
    expect((await fly.client.resolveImage("my-app", "x"))?.labels).toEqual({});
  });

  it("returns null when Fly no longer has the image", async () => {
    fly = mockFly();
    fly.api
      .intercept({ path: "/graphql", method: "POST" })
      .reply(200, { data: { app: { image: null } } });
    fly.api.intercept({ path: "/graphql", method: "POST" }).reply(200, {
      data: { app: { image: null } },
      errors: [
        { message: "image not found", path: ["app", "image"], extensions: { code: "NOT_FOUND" } },
      ],
    });
    expect(await fly.client.resolveImage("my-app", "gone:1")).toBeNull();
    expect(await fly.client.resolveImage("my-app", "gone:2")).toBeNull();
  });
});

describe("release REST", () => {
  it("creates a release with flyctl's body, strategy upper-cased", async () => {
    fly = mockFly();
    let body: unknown;
    fly.api.intercept({ path: "/api/v1/releases", method: "POST" }).reply((req) => {
      body = JSON.parse(String(req.body));
      return {
        statusCode: 200,
        data: { release: { id: "rel_9", version: 9, status: "pending", stable: false } },
      };
    });
    const created = await fly.client.createRelease({
      app: "my-app",
      image: "registry.fly.io/my-app:v1.2.3",
      strategy: "rolling",
      definition: { app: "my-app" },
    });
    expect(created).toEqual({ id: "rel_9", version: 9, status: "pending" });
    expect(body).toEqual({
      app_name: "my-app",
      definition: { app: "my-app" },
      image: "registry.fly.io/my-app:v1.2.3",
      strategy: "ROLLING",
    });
  });

  it("updates a release's status and metadata", async () => {
    fly = mockFly();
    let body: unknown;
    fly.api.intercept({ path: "/api/v1/releases/rel_9", method: "PATCH" }).reply((req) => {
      body = JSON.parse(String(req.body));
      return { statusCode: 200, data: { id: "rel_9", version: 9, status: "complete" } };
    });
    const updated = await fly.client.updateRelease("rel_9", {
      status: "complete",
      metadata: { semfly: { v: "1" } },
    });
    expect(updated).toEqual({ id: "rel_9", version: 9, status: "complete" });
    expect(body).toEqual({ status: "complete", metadata: { semfly: { v: "1" } } });
  });

  it("leaves metadata out of the update when none is given", async () => {
    fly = mockFly();
    let body: unknown;
    fly.api.intercept({ path: "/api/v1/releases/rel_9", method: "PATCH" }).reply((req) => {
      body = JSON.parse(String(req.body));
      return { statusCode: 200, data: { release: { id: "rel_9", version: 9, status: "running" } } };
    });
    await fly.client.updateRelease("rel_9", { status: "running" });
    expect(body).toEqual({ status: "running" });
  });

  it("reports an update of a finished release as RELEASE_FINISHED", async () => {
    fly = mockFly();
    fly.api
      .intercept({ path: "/api/v1/releases/rel_9", method: "PATCH" })
      .reply(422, "the release has already finished");
    const error = await caught(fly.client.updateRelease("rel_9", { status: "failed" }));
    expect(error).toMatchObject({
      code: "RELEASE_FINISHED",
      status: 422,
      operation: "update a release",
    });
  });

  it("reports a create answered with the wrong shape as MALFORMED_RESPONSE", async () => {
    fly = mockFly();
    fly.api
      .intercept({ path: "/api/v1/releases", method: "POST" })
      .reply(201, { release: { id: 9 } });
    expect(
      await caught(
        fly.client.createRelease({
          app: "a",
          image: "i",
          strategy: "immediate",
          definition: { app: "a" },
        }),
      ),
    ).toMatchObject({
      code: "MALFORMED_RESPONSE",
      operation: "create a release",
    });
  });
});
