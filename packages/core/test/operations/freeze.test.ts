import { type Emulator, loadScenario, startEmulator } from "@semfly/fly-emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createFlyClient,
  type FlyClient,
  FREEZE_METADATA_KEY,
  freezeApp,
  freezeOf,
  loadVersionHistory,
  newFreeze,
  unfreezeApp,
} from "../../src/index.js";

const APP = "acme-web";
const NOW = Date.parse("2025-06-11T12:00:00Z");
let emulator: Emulator;
let client: FlyClient;

beforeEach(async () => {
  emulator = await startEmulator({ scenario: await loadScenario("demo"), rateLimits: false });
  client = createFlyClient({
    token: emulator.token,
    apiBaseUrl: emulator.url,
    flapsBaseUrl: emulator.url,
    uiexBaseUrl: emulator.url,
    // Back-offs of milliseconds: the faults these tests inject would otherwise cost seconds each.
    retry: { minDelayMs: 5, maxDelayMs: 50 },
  });
});
afterEach(() => emulator.close());

const history = () => loadVersionHistory(client, APP);
const aFreeze = (until: string | null = "2h") =>
  newFreeze({
    by: "alice@acme.test",
    reason: "3.1.12 drops orders",
    until,
    holds: { version: "3.1.12", digest: null },
    now: NOW,
  });

describe("freezing an app on Fly", () => {
  it("writes the freeze to every app machine, where the next history load reads it", async () => {
    const before = await history();
    const outcome = await freezeApp(client, before, aFreeze());
    // The app's Fly Launch machines carry it; the demo's unmanaged and release-command machines do not.
    const appIds = new Set(before.machines.map((i) => i.machine.id));
    const machines = emulator.machines(APP).filter((m) => appIds.has(m.id));
    expect(machines.length).toBeLessThan(emulator.machines(APP).length);
    expect(outcome.machineIds).toHaveLength(machines.length);
    for (const m of machines) expect(m.config?.metadata?.[FREEZE_METADATA_KEY]).toBeDefined();
    for (const m of emulator.machines(APP).filter((m) => !appIds.has(m.id))) {
      expect(m.config?.metadata?.[FREEZE_METADATA_KEY]).toBeUndefined();
    }
    const state = freezeOf(
      (await history()).machines.map((i) => i.machine),
      NOW,
    );
    expect(state).toMatchObject({
      expired: false,
      machineCount: machines.length,
      freeze: {
        by: "alice@acme.test",
        reason: "3.1.12 drops orders",
        until: "2025-06-11T14:00:00.000Z",
      },
    });
  });

  it("records the freeze on the current release, keeping the metadata already there", async () => {
    const current = emulator.releases(APP).at(-1)!;
    emulator.clearRequestLog();
    const outcome = await freezeApp(client, await history(), aFreeze());
    expect(outcome.recordedOn).toBe(current.version);
    const metadata = emulator.release(APP, current.version)?.metadata as Record<string, unknown>;
    expect(metadata.semfly_freeze).toMatchObject({ state: "frozen", by: "alice@acme.test" });
    for (const [key, value] of Object.entries(current.metadata ?? {})) {
      expect(metadata[key]).toEqual(value);
    }
  });

  it("still freezes when Fly refuses the release record, and says so", async () => {
    emulator.setFaults({
      rules: [{ service: "releases", method: "PATCH", action: { type: "status", status: 500 } }],
    });
    const outcome = await freezeApp(client, await history(), aFreeze());
    expect(outcome.recordedOn).toBeNull();
    expect(outcome.warnings).toEqual([
      expect.stringMatching(/^The freeze holds, but Fly did not record it on the release: /),
    ]);
    expect(
      freezeOf(
        (await history()).machines.map((i) => i.machine),
        NOW,
      ),
    ).not.toBeNull();
  });

  it("names the machines it could not reach, and still holds the freeze on the others", async () => {
    const [first] = emulator.machines(APP);
    emulator.holdLease(APP, first!.id);
    const outcome = await freezeApp(client, await history(), aFreeze());
    expect(outcome.machineIds).not.toContain(first!.id);
    expect(outcome.warnings[0]).toMatch(new RegExp(`^Not frozen: ${first!.id}: `));
  });

  it("lifts the freeze from every machine and records that on the release", async () => {
    await freezeApp(client, await history(), aFreeze());
    const outcome = await unfreezeApp(client, await history(), { by: "bob@acme.test", now: NOW });
    expect(outcome.lifted?.reason).toBe("3.1.12 drops orders");
    expect(
      freezeOf(
        (await history()).machines.map((i) => i.machine),
        NOW,
      ),
    ).toBeNull();
    const current = emulator.releases(APP).at(-1)!;
    expect(current.metadata?.semfly_freeze).toMatchObject({
      state: "unfrozen",
      by: "bob@acme.test",
    });
  });

  it("unfreezing an app that is not frozen sends nothing", async () => {
    emulator.clearRequestLog();
    const outcome = await unfreezeApp(client, await history(), { by: "bob", now: NOW });
    expect(outcome.lifted).toBeNull();
    expect(emulator.mutatingRequests()).toEqual([]);
  });
});
