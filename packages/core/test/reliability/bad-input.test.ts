/**
 * Bad input through the extension's path: the VS Code extension calls exactly these core functions
 * (resolveAccessToken, createFlyClient, readAppNameFromFlyToml, loadVersionHistory, prepareRollback),
 * so every refusal here is what the extension shows. Each case: a SemflyError with a one-line message,
 * the documented exit code (2 bad input, 1 API), and no request that changes anything.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scenario } from "@semfly/fly-emulator";
import { MockAgent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createFlyClient,
  type FlyClient,
  isSemflyError,
  loadVersionHistory,
  prepareRollback,
  type RollbackTarget,
  readAppNameFromFlyToml,
  resolveAccessToken,
  type SemflyError,
} from "../../src/index.js";
import { API, FLAPS, JSON_HEADERS, machineWire, releaseNode } from "../fly/mock-fly.js";
import { APP, startWorld, type World } from "./harness.js";

/** The shape every refusal must have, whichever layer raised it. */
function expectRefusal(
  error: unknown,
  code: string,
  exitCode: 1 | 2,
): asserts error is SemflyError {
  expect(isSemflyError(error), `expected a SemflyError, got ${String(error)}`).toBe(true);
  const e = error as SemflyError;
  expect({ code: e.code, exitCode: e.exitCode }, e.message).toEqual({ code, exitCode });
  expect(e.message).not.toMatch(/\n/);
  expect(e.message).not.toMatch(/\bat .+:\d+:\d+/); // no stack frames
  expect(e.message.length).toBeGreaterThan(10);
  expect(e.message.length).toBeLessThan(400);
}

async function failure(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("expected a refusal, but it succeeded");
}

describe("a token the extension cannot use", () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "semfly-bad-token-"));
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  /** Writes ~/.fly/config.yml (or a directory in its place) and resolves the token as the extension does. */
  async function resolveWith(config: string | { directory: true } | null, env = {}) {
    const dir = await mkdtemp(join(home, "h-"));
    if (config !== null) {
      await mkdir(join(dir, ".fly"), { recursive: true });
      if (typeof config === "string") await writeFile(join(dir, ".fly", "config.yml"), config);
      else await mkdir(join(dir, ".fly", "config.yml"));
    }
    const resolved = await resolveAccessToken({ env, homeDir: dir });
    // The extension makes its client with what was found; no token is an empty one.
    return createFlyClient({ token: resolved?.token ?? "" });
  }

  it.each([
    ["no token anywhere", null, {}, "MISSING_TOKEN", 2],
    ["a blank FLY_API_TOKEN", null, { FLY_API_TOKEN: "   " }, "MISSING_TOKEN", 2],
    ["an empty config.yml", "", {}, "MISSING_TOKEN", 2],
    [
      "a config.yml that is not YAML",
      'access_token: "fm2_leaky_secret_value\n  - : [',
      {},
      "FLY_CONFIG_INVALID",
      2,
    ],
    ["a config.yml that is a list", "- fm2_abc\n- fm2_def\n", {}, "FLY_CONFIG_INVALID", 2],
    ["an access_token that is a number", "access_token: 12345\n", {}, "FLY_CONFIG_INVALID", 2],
    [
      "a config.yml that is a directory",
      { directory: true as const },
      {},
      "FLY_CONFIG_UNREADABLE",
      2,
    ],
  ] as const)("refuses %s", async (_name, config, env, code, exitCode) => {
    const error = await failure(() => resolveWith(config, env));
    expectRefusal(error, code, exitCode);
    expect((error as Error).message).not.toContain("fm2_leaky_secret_value");
  });

  it("refuses a base URL setting that is not a URL", () => {
    const error = (() => {
      try {
        createFlyClient({ token: "fm2_x", apiBaseUrl: "api.fly.io/graphql" });
      } catch (e) {
        return e;
      }
    })();
    expectRefusal(error, "INVALID_BASE_URL", 2);
  });
});

describe("a fly.toml the extension cannot read an app from", () => {
  it.each([
    ["TOML with a missing value", "app = \n", "FLY_TOML_INVALID"],
    ["a truncated string", 'app = "acme-we', "FLY_TOML_INVALID"],
    ["binary garbage", "\u0000\u0001\u0002PK\u0003\u0004", "FLY_TOML_INVALID"],
    ["a duplicate key", 'app = "a"\napp = "b"\n', "FLY_TOML_INVALID"],
    [
      "no app key",
      'primary_region = "ams"\n[http_service]\ninternal_port = 8080\n',
      "APP_NAME_MISSING",
    ],
    ["an app that is a number", "app = 42\n", "APP_NAME_MISSING"],
    ["an empty app", 'app = ""\n', "APP_NAME_MISSING"],
    ["an app in the wrong table", '[build]\napp = "acme-web"\n', "APP_NAME_MISSING"],
    ["an empty file", "", "APP_NAME_MISSING"],
  ])("refuses %s", (_name, text, code) => {
    const error = (() => {
      try {
        readAppNameFromFlyToml(text, "web/fly.toml");
      } catch (e) {
        return e;
      }
    })();
    expectRefusal(error, code, 2);
    expect((error as Error).message).toContain("web/fly.toml");
  });
});

describe("a rollback the extension cannot plan", () => {
  let demo: World;
  let builds: World;
  let single: World;
  beforeAll(async () => {
    // One client plans every case; Fly's per-app list limit would only make them queue.
    const client = { rateLimit: false } as const;
    const rateLimits = false;
    [demo, builds, single] = await Promise.all([
      startWorld({ client, rateLimits }),
      // Two builds of 2.0.1 whose digests share a prefix, and a version whose image Fly no longer has.
      startWorld({
        scenario: scenario(APP)
          .image("2.0.1+build.7", {
            tag: "2.0.1_build.7",
            digest: `sha256:aaaaaa${"1".repeat(58)}`,
          })
          .image("2.0.1+build.8", {
            tag: "2.0.1_build.8",
            digest: `sha256:aaaaaa${"2".repeat(58)}`,
          })
          .image("2.0.2")
          .release({ image: "registry.fly.io/acme-web:0.9.0" })
          .release({ image: "2.0.1+build.7" })
          .release({ image: "2.0.1+build.8" })
          .release({ image: "2.0.2" })
          .machines(2),
        client,
        rateLimits,
      }),
      startWorld({
        scenario: scenario(APP).image("1.0.0").release({ image: "1.0.0" }).machines(1),
        client,
        rateLimits,
      }),
    ]);
    // A deploy of 3.2.0 that failed: shown in the history, never a rollback target.
    demo.emulator.addImage(APP, { ref: "registry.fly.io/acme-web:3.2.0" });
    demo.emulator.addRelease(APP, { image: "registry.fly.io/acme-web:3.2.0", status: "failed" });
  });
  afterAll(async () => {
    await Promise.all([demo.close(), builds.close(), single.close()]);
  });

  type Case = [
    name: string,
    world: () => World,
    target: RollbackTarget,
    code: string,
    options?: { maxUnavailable?: number; app?: string; client?: () => FlyClient },
  ];
  const cases: Case[] = [
    ["something that is not a version", () => demo, { spec: "three" }, "NOT_A_VERSION"],
    ["an invalid range", () => demo, { spec: ">=3.1 <" }, "NOT_A_VERSION"],
    ["a doubled caret", () => demo, { spec: "^^3" }, "NOT_A_VERSION"],
    ["a four-part version", () => demo, { spec: "3.1.11.1" }, "NOT_A_VERSION"],
    ["an empty target", () => demo, { spec: "  " }, "NOT_A_VERSION"],
    ["a version never deployed", () => demo, { spec: "9.9.9" }, "NEVER_DEPLOYED"],
    ["a digest never deployed", () => demo, { spec: "sha256:abcdef" }, "NEVER_DEPLOYED"],
    ["a history key the model does not know", () => demo, { key: "7.7.7" }, "NEVER_DEPLOYED"],
    ["a range nothing satisfies", () => demo, { spec: "^4" }, "RANGE_NO_MATCH"],
    ["a range only the live version satisfies", () => demo, { spec: "~3.1.12" }, "RANGE_NO_MATCH"],
    ["the live version", () => demo, { spec: "3.1.12" }, "ALREADY_LIVE"],
    ["the live version by digest", () => demo, { spec: "sha256:ed5c6ce26bc7" }, "ALREADY_LIVE"],
    ["the live version by key", () => demo, { key: "3.1.12" }, "ALREADY_LIVE"],
    ["a version whose only deploy failed", () => demo, { spec: "3.2.0" }, "NEVER_SUCCEEDED"],
    ["a release number Fly never made", () => demo, { release: 999 }, "RELEASE_NOT_FOUND"],
    ["release number zero", () => demo, { release: 0 }, "INVALID_RELEASE"],
    ["a fractional release number", () => demo, { release: 2.5 }, "INVALID_RELEASE"],
    ["a version with two builds", () => builds, { spec: "2.0.1" }, "AMBIGUOUS_TARGET"],
    ["a digest prefix of two images", () => builds, { spec: "sha256:aaaaaa" }, "AMBIGUOUS_TARGET"],
    ["a version whose image digest is unknown", () => builds, { spec: "0.9.0" }, "DIGEST_UNKNOWN"],
    [
      "previous when only one version was ever live",
      () => single,
      { spec: "previous" },
      "NO_PREVIOUS_VERSION",
    ],
    [
      "max-unavailable 1.5",
      () => demo,
      { spec: "3.1.11" },
      "INVALID_MAX_UNAVAILABLE",
      { maxUnavailable: 1.5 },
    ],
    [
      "max-unavailable 0",
      () => demo,
      { spec: "3.1.11" },
      "INVALID_MAX_UNAVAILABLE",
      { maxUnavailable: 0 },
    ],
    [
      "max-unavailable -1",
      () => demo,
      { spec: "3.1.11" },
      "INVALID_MAX_UNAVAILABLE",
      { maxUnavailable: -1 },
    ],
    [
      "max-unavailable NaN",
      () => demo,
      { spec: "3.1.11" },
      "INVALID_MAX_UNAVAILABLE",
      { maxUnavailable: Number.NaN },
    ],
    [
      "a max-unavailable count above the machines that would change",
      () => demo,
      { spec: "3.1.11" },
      "MAX_UNAVAILABLE_TOO_HIGH",
      { maxUnavailable: 8 },
    ],
    ["v3, both Fly's release 3 and the range 3.x", () => demo, { spec: "v3" }, "AMBIGUOUS_TARGET"],
    [
      "an app Fly does not have",
      () => demo,
      { spec: "3.1.11" },
      "APP_NOT_FOUND",
      { app: "no-such-app" },
    ],
    [
      "a token Fly rejects (401)",
      () => demo,
      { spec: "3.1.11" },
      "UNAUTHORIZED",
      {
        client: () =>
          createFlyClient({
            token: "fm2_revoked_token_value",
            apiBaseUrl: demo.emulator.url,
            flapsBaseUrl: demo.emulator.url,
            uiexBaseUrl: demo.emulator.url,
          }),
      },
    ],
  ];

  it.each(cases)(
    "refuses %s, changing nothing",
    async (_name, world, target, code, options = {}) => {
      const w = world();
      w.emulator.clearRequestLog();
      const client = options.client?.() ?? w.client;
      const error = await failure(() =>
        prepareRollback(client, options.app ?? APP, {
          target,
          ...(options.maxUnavailable === undefined
            ? {}
            : { maxUnavailable: options.maxUnavailable }),
        }),
      );
      expectRefusal(error, code, 2);
      expect(w.emulator.mutatingRequests()).toEqual([]);
      expect((error as Error).message).not.toContain("fm2_revoked_token_value");
    },
  );
});

describe("an answer from Fly the extension cannot use", () => {
  const app = "my-app";
  const releasesBody = {
    data: {
      app: {
        releases: {
          nodes: [releaseNode(2), releaseNode(1)],
          pageInfo: { endCursor: null, hasNextPage: false },
          totalCount: 2,
        },
      },
    },
  };
  const machinesBody = [machineWire("m1"), machineWire("m2")];
  const huge = Buffer.alloc(51 * 1024 * 1024, 0x20);

  type Reply = { status?: number; body: string | Buffer; headers?: Record<string, string> };
  const json = (value: unknown): Reply => ({ body: JSON.stringify(value) });
  const text = (body: string | Buffer, headers: Record<string, string> = {}): Reply => ({
    body,
    headers,
  });
  const releasesWith = (node: Record<string, unknown>) =>
    json({
      data: {
        app: {
          releases: {
            nodes: [{ ...releaseNode(2), ...node }],
            pageInfo: { endCursor: null, hasNextPage: false },
            totalCount: 1,
          },
        },
      },
    });

  // Which endpoint answers badly, what it says, and the error semfly must turn it into.
  const cases: Array<[string, "graphql" | "machines", Reply, string]> = [
    [
      "releases as an HTML page",
      "graphql",
      text("<html><body>502 Bad Gateway</body></html>", { "content-type": "text/html" }),
      "MALFORMED_RESPONSE",
    ],
    [
      "releases cut off mid-JSON",
      "graphql",
      text(JSON.stringify(releasesBody).slice(0, 80)),
      "MALFORMED_RESPONSE",
    ],
    ["releases as an empty body", "graphql", text(""), "MALFORMED_RESPONSE"],
    ["releases as JSON null", "graphql", text("null"), "MALFORMED_RESPONSE"],
    [
      "a release version that is a string",
      "graphql",
      releasesWith({ version: "27" }),
      "MALFORMED_RESPONSE",
    ],
    [
      "a release status that is a number",
      "graphql",
      releasesWith({ status: 3 }),
      "MALFORMED_RESPONSE",
    ],
    ["a release without an id", "graphql", releasesWith({ id: undefined }), "MALFORMED_RESPONSE"],
    [
      "release nodes that are not a list",
      "graphql",
      json({
        data: { app: { releases: { nodes: {}, pageInfo: { hasNextPage: false }, totalCount: 0 } } },
      }),
      "MALFORMED_RESPONSE",
    ],
    ["releases larger than 50 MB", "graphql", text(huge), "RESPONSE_TOO_LARGE"],
    ["machines as an object", "machines", json({ machines: machinesBody }), "MALFORMED_RESPONSE"],
    [
      "machines cut off mid-JSON",
      "machines",
      text(JSON.stringify(machinesBody).slice(0, 120)),
      "MALFORMED_RESPONSE",
    ],
    [
      "a machine without a config",
      "machines",
      json([machineWire("m1", { config: null })]),
      "MALFORMED_RESPONSE",
    ],
    [
      "a machine state that is a number",
      "machines",
      json([machineWire("m1", { state: 1 })]),
      "MALFORMED_RESPONSE",
    ],
    [
      "a machine image that is a list",
      "machines",
      json([machineWire("m1", { config: { image: ["a"] } })]),
      "MALFORMED_RESPONSE",
    ],
    [
      "check results that are not a list",
      "machines",
      json([machineWire("m1", { checks: "passing" })]),
      "MALFORMED_RESPONSE",
    ],
    [
      "machines larger than 50 MB",
      "machines",
      text(huge, { "content-type": "application/json" }),
      "RESPONSE_TOO_LARGE",
    ],
  ];

  it.each(cases)("refuses %s with a clear error", async (_name, where, reply, code) => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const sent: string[] = [];
    const answer =
      (which: "graphql" | "machines", good: unknown) => (req: { method: string; path: string }) => {
        sent.push(`${req.method} ${req.path}`);
        const bad = which === where;
        return {
          statusCode: bad ? (reply.status ?? 200) : 200,
          data: bad ? reply.body : JSON.stringify(good),
          responseOptions: { headers: bad ? { ...JSON_HEADERS, ...reply.headers } : JSON_HEADERS },
        };
      };
    agent
      .get(API)
      .intercept({ path: "/graphql", method: "POST" })
      .reply(answer("graphql", releasesBody))
      .persist();
    agent
      .get(FLAPS)
      .intercept({ path: `/v1/apps/${app}/machines`, method: "GET" })
      .reply(answer("machines", machinesBody))
      .persist();
    const client = createFlyClient({
      token: "fm2_extension_token",
      dispatcher: agent,
      retry: { retries: 1, minDelayMs: 1, maxDelayMs: 2 },
      rateLimit: false,
    });
    try {
      const error = await failure(() => loadVersionHistory(client, app));
      expectRefusal(error, code, 1);
      expect((error as SemflyError).operation).toBe(
        where === "graphql" ? "list releases" : "list machines",
      );
      // Only reads went out: GraphQL queries and GETs.
      expect(sent.every((line) => line === "POST /graphql" || line.startsWith("GET "))).toBe(true);
      // Both halves of the history were asked for: every faked exchange was used.
      agent.assertNoPendingInterceptors();
    } finally {
      await agent.close();
    }
  });
});
