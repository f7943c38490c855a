// @module-tag slow: seconds of real waiting (see vitest.config.ts); `pnpm test:fast` skips this file.
import { inspect } from "node:util";
import { scenario } from "@semfly/fly-emulator";
import { MockAgent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import {
  createFlyClient,
  executeRollout,
  type FlyClient,
  loadVersionHistory,
  prepareRollback,
  type RolloutEvent,
  redact,
  registerSecret,
} from "../../src/index.js";
import { API, FLAPS } from "../fly/mock-fly.js";
import { FAST_TIMING } from "../rollout/world.js";
import { APP, startWorld, type World } from "./harness.js";

/** Two macaroon-looking parts, as `fly tokens create deploy` prints them; each part is a secret. */
const PART_A = "fm2_lJPECAAAAAAAB7x3RELIABILITYsecretAAAA9q2VtZmx5";
const PART_B = "fm2_lJPEtwoRELIABILITYsecretBBBBzZW1mbHkgcGFydA==";
const TOKEN = `FlyV1 ${PART_A},${PART_B}`;
/** What must appear nowhere: the whole token, each part, and each part's body without its prefix. */
const NEEDLES = [TOKEN, PART_A, PART_B, PART_A.slice(4), PART_B.slice(4), "RELIABILITYsecret"];

function expectNoSecret(label: string, text: string): void {
  for (const needle of NEEDLES) {
    expect(text.includes(needle), `${label} contains "${needle}":\n${text.slice(0, 2000)}`).toBe(
      false,
    );
  }
}

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

async function tokenWorld(): Promise<World> {
  // The emulator accepts the first part (Fly checks each comma part of a FlyV1 header).
  return startWorld({
    scenario: scenario(APP)
      .token(PART_A, "secret-keeper@acme.test")
      .image("1.0.0")
      .image("1.0.1")
      .release({ image: "1.0.0" })
      .release({ image: "1.0.1" })
      .machines(3, { regions: ["ams", "iad"] }),
    client: { token: TOKEN },
  });
}

function everything(w: World, extra: unknown[]): string {
  return [w.debugLines.join("\n"), ...extra.map((x) => inspect(x, { depth: 8 }))].join("\n");
}

describe("the token never leaves the client", () => {
  it("appears in no debug line, event or result of a rollback that completes", async () => {
    world = await tokenWorld();
    const events: RolloutEvent[] = [];
    const { plan } = await prepareRollback(world.client, APP, { target: { spec: "1.0.0" } });
    const result = await executeRollout(world.client, plan, {
      timing: FAST_TIMING,
      onEvent: (e) => events.push(e),
    });
    expect(result.status).toBe("complete");
    expect(world.debugLines.length).toBeGreaterThan(10);
    expectNoSecret(
      "complete rollback",
      everything(world, [plan, events, result, JSON.stringify(result)]),
    );
  });

  it("appears in no debug line, event or result of a rollback that fails and reverts", async () => {
    world = await tokenWorld();
    world.emulator.markImageBad("registry.fly.io/acme-web:1.0.0");
    const events: RolloutEvent[] = [];
    const { plan } = await prepareRollback(world.client, APP, { target: { spec: "1.0.0" } });
    const result = await executeRollout(world.client, plan, {
      timing: FAST_TIMING,
      onEvent: (e) => events.push(e),
    });
    expect(result.status).toBe("failed");
    expectNoSecret("failed rollback", everything(world, [events, result]));
  });

  it("appears in no error, cause, stack or debug line when Fly rejects it", async () => {
    world = await tokenWorld();
    const rejected = "fm2_lJPErejectedRELIABILITYsecretCCCC";
    const lines: string[] = [];
    const client = createFlyClient({
      token: rejected,
      apiBaseUrl: world.emulator.url,
      flapsBaseUrl: world.emulator.url,
      uiexBaseUrl: world.emulator.url,
      debug: (line) => lines.push(line),
    });
    const error = await loadVersionHistory(client, APP).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UNAUTHORIZED" });
    const text = [lines.join("\n"), inspect(error, { depth: 8 }), JSON.stringify(error)].join("\n");
    expect(text).not.toContain(rejected);
    expect(text).not.toContain("RELIABILITYsecret");
  });

  it("is redacted when Fly quotes it back in an error body", async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const lines: string[] = [];
    const client: FlyClient = createFlyClient({
      token: TOKEN,
      dispatcher: agent,
      retry: { retries: 0 },
      rateLimit: false,
      debug: (line) => lines.push(line),
    });
    // A misbehaving proxy echoes the Authorization header it got.
    agent
      .get(FLAPS)
      .intercept({ path: `/v1/apps/${APP}/machines`, method: "GET" })
      .reply((req) => ({
        statusCode: 400,
        data: JSON.stringify({
          error: `bad header: ${(req.headers as Record<string, string>).authorization}`,
        }),
      }));
    agent
      .get(API)
      .intercept({ path: "/graphql", method: "POST" })
      .reply(200, {
        data: { app: { releases: { nodes: [], pageInfo: { hasNextPage: false }, totalCount: 0 } } },
      });
    try {
      const error = await loadVersionHistory(client, APP).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "REQUEST_REJECTED" });
      expect((error as Error).message).toMatch(
        /^Fly refused to list machines \(HTTP 400\): bad header: .*\[REDACTED\]/,
      );
      expectNoSecret("echoed error", [lines.join("\n"), inspect(error, { depth: 8 })].join("\n"));
      agent.assertNoPendingInterceptors();
    } finally {
      await agent.close();
    }
  });

  it("leaves no prefix of a legacy token that Fly quotes where its error text is cut", async () => {
    // A legacy personal token has no `fm2_` shape any pattern knows: only its registration protects it.
    const legacy = "q7PzL0rXk2WmV9sB4nHc8TyE1uJd6GfAa3oRiNlKeMw";
    const agent = new MockAgent();
    agent.disableNetConnect();
    const client: FlyClient = createFlyClient({
      token: legacy,
      dispatcher: agent,
      retry: { retries: 0 },
      rateLimit: false,
    });
    // The token starts 20 characters before the 300-character cut of an error detail.
    const padding = "x".repeat(280 - "bad header: ".length);
    agent
      .get(FLAPS)
      .intercept({ path: `/v1/apps/${APP}/machines`, method: "GET" })
      .reply(400, JSON.stringify({ error: `bad header: ${padding}${legacy} and more` }));
    agent
      .get(API)
      .intercept({ path: "/graphql", method: "POST" })
      .reply(200, {
        data: { app: { releases: { nodes: [], pageInfo: { hasNextPage: false }, totalCount: 0 } } },
      });
    try {
      const error = await loadVersionHistory(client, APP).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "REQUEST_REJECTED" });
      const text = [inspect(error, { depth: 8 }), JSON.stringify(error)].join("\n");
      expect(text).toContain("[REDACTED]");
      for (let length = 8; length <= legacy.length; length++) {
        expect(text, `a ${length}-character prefix leaked`).not.toContain(legacy.slice(0, length));
      }
      agent.assertNoPendingInterceptors();
    } finally {
      await agent.close();
    }
  });

  it("removes a long prefix or suffix of a registered secret wherever it appears", () => {
    const secret = "Zr4kQ9wLx2PmN7vB3tYc";
    registerSecret(secret);
    const cutBefore = `…${secret.slice(6)} was refused`;
    const cutAfter = `header was ${secret.slice(0, 11)}…`;
    expect(redact(cutBefore)).toBe("…[REDACTED] was refused");
    expect(redact(cutAfter)).toBe("header was [REDACTED]…");
    // Short runs of a secret are ordinary text and stay.
    expect(redact(`id ${secret.slice(0, 5)} ok`)).toBe(`id ${secret.slice(0, 5)} ok`);
  });

  it("appears in no debug line when connections drop and requests are retried", async () => {
    world = await tokenWorld();
    world.emulator.setFaults({
      rules: [
        { operation: "machines.list", times: 2, action: { type: "drop" } },
        { service: "graphql", times: 1, action: { type: "status", status: 503 } },
      ],
    });
    const history = await loadVersionHistory(world.client, APP);
    expect(history.machines).toHaveLength(3);
    expect(world.debugLines.some((l) => /^retrying /.test(l))).toBe(true);
    expectNoSecret("retried requests", everything(world, [history]));
  });
});
