import {
  createFlyClient,
  type FlyClient,
  freezeApp,
  loadVersionHistory,
  newFreeze,
} from "@semfly/core";
import { type Emulator, loadScenario, startEmulator } from "@semfly/fly-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statusBarContent } from "../../../src/ui/statusBarContent.js";

const NOW = Date.parse("2025-06-11T12:00:00Z");
const app = { name: "acme-web", sources: [] };
let emulator: Emulator;
let client: FlyClient;

beforeAll(async () => {
  emulator = await startEmulator({ scenario: await loadScenario("demo"), rateLimits: false });
  client = createFlyClient({
    token: emulator.token,
    apiBaseUrl: emulator.url,
    flapsBaseUrl: emulator.url,
    uiexBaseUrl: emulator.url,
  });
  const history = await loadVersionHistory(client, "acme-web");
  const freeze = newFreeze({
    by: "alice@acme.test",
    reason: "orders_fail on 3.1.12",
    until: "2h",
    holds: { version: "3.1.12", digest: null },
    now: NOW,
  });
  await freezeApp(client, history, freeze);
});
afterAll(() => emulator.close());

const contentAt = async (now: number) => {
  const history = await loadVersionHistory(client, "acme-web");
  return statusBarContent({ app, load: { state: "loaded", history, loadedAt: now } }, now);
};

describe("the status bar of a frozen app", () => {
  it("shows the freeze read from Fly, with who, until when and why", async () => {
    const content = await contentAt(NOW);
    expect(content).toEqual({
      text: "$(lock) acme-web 3.1.12 frozen",
      tooltip:
        // Markdown: every character Markdown could read is escaped.
        "**acme\\-web** is frozen by alice@acme\\.test until 2025\\-06\\-11T14:00:00\\.000Z: orders\\_fail on 3\\.1\\.12. Deploys through semfly are refused until `semfly unfreeze`.",
      warning: true,
    });
  });

  it("goes back to the live version once the freeze has expired, and says it expired", async () => {
    const content = await contentAt(NOW + 3 * 3_600_000);
    expect(content?.text).toBe("$(cloud) acme-web 3.1.12");
    expect(content?.warning).toBe(false);
    expect(content?.tooltip).toContain(
      " A freeze by alice@acme\\.test until 2025\\-06\\-11T14:00:00\\.000Z: orders\\_fail on 3\\.1\\.12 has expired.",
    );
  });
});
