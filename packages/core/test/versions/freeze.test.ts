import { describe, expect, it } from "vitest";
import {
  checkDeployAllowed,
  decodeFreeze,
  encodeFreeze,
  FREEZE_METADATA_KEY,
  type Freeze,
  freezeActor,
  freezeHoldsLive,
  freezeOf,
  isFrozen,
  newFreeze,
  parseFreezeUntil,
} from "../../src/index.js";
import { machine } from "../builders.js";

const NOW = Date.parse("2025-06-11T12:00:00Z");

const freeze = (overrides: Partial<Freeze> = {}): Freeze => ({
  by: "alice@acme.test",
  reason: "3.1.12 drops orders",
  at: "2025-06-11T11:00:00.000Z",
  until: null,
  holds: { version: "3.1.11", digest: "sha256:aaa" },
  ...overrides,
});

const carrying = (id: string, value: string | undefined) =>
  machine({
    id,
    metadata: { fly_process_group: "app", ...(value ? { [FREEZE_METADATA_KEY]: value } : {}) },
  });

describe("a freeze in machine metadata", () => {
  it("reads back exactly what was written", () => {
    expect(decodeFreeze(encodeFreeze(freeze()))).toEqual(freeze());
  });

  it.each([
    ["not JSON", "frozen!"],
    ["another schema version", JSON.stringify({ ...freeze(), v: 2 })],
    [
      "a missing reason",
      JSON.stringify({ v: 1, by: "a", at: "2025-06-11T11:00:00Z", until: null, holds: null }),
    ],
    ["an unreadable time", JSON.stringify({ v: 1, ...freeze({ at: "yesterday" }) })],
  ])("ignores a value that is %s", (_why, value) => {
    expect(decodeFreeze(value)).toBeNull();
  });

  it("freezes the app when only some machines carry it, and says which", () => {
    const state = freezeOf(
      [carrying("m1", encodeFreeze(freeze())), carrying("m2", undefined)],
      NOW,
    );
    expect(state).toMatchObject({ machineIds: ["m1"], machineCount: 2, expired: false });
    expect(isFrozen(state)).toBe(true);
  });

  it("takes the newest freeze when machines disagree", () => {
    const newer = freeze({ at: "2025-06-11T11:30:00.000Z", reason: "newer" });
    const state = freezeOf(
      [carrying("m1", encodeFreeze(freeze())), carrying("m2", encodeFreeze(newer))],
      NOW,
    );
    expect(state?.freeze.reason).toBe("newer");
  });

  it("is not frozen when no machine carries a freeze", () => {
    expect(freezeOf([carrying("m1", undefined)], NOW)).toBeNull();
  });

  it("shows an expired freeze as expired and lets deploys through", () => {
    const state = freezeOf(
      [carrying("m1", encodeFreeze(freeze({ until: "2025-06-11T11:59:59.000Z" })))],
      NOW,
    );
    expect(state?.expired).toBe(true);
    expect(isFrozen(state)).toBe(false);
    expect(() => checkDeployAllowed("acme-web", state, { unfreeze: false })).not.toThrow();
  });
});

describe("whether a freeze still holds the live version", () => {
  it("holds it while the live digest is the one it was set on", () => {
    expect(freezeHoldsLive(freeze(), { version: "3.1.11", digest: "sha256:aaa" })).toBe(true);
  });

  it("no longer holds it once a rollback without a new freeze moved the app, by digest first", () => {
    expect(freezeHoldsLive(freeze(), { version: "3.1.10", digest: "sha256:bbb" })).toBe(false);
    // A rebuild under the same version is another digest: not what the freeze held.
    expect(freezeHoldsLive(freeze(), { version: "3.1.11", digest: "sha256:ccc" })).toBe(false);
  });

  it("compares versions when a digest is missing, and says nothing when nothing is live", () => {
    const byVersion = freeze({ holds: { version: "3.1.11", digest: null } });
    expect(freezeHoldsLive(byVersion, { version: "3.1.11", digest: "sha256:aaa" })).toBe(true);
    expect(freezeHoldsLive(byVersion, { version: "3.2.0", digest: "sha256:bbb" })).toBe(false);
    expect(freezeHoldsLive(freeze(), null)).toBeNull();
    expect(
      freezeHoldsLive(freeze({ holds: null }), { version: "3.1.11", digest: "sha256:aaa" }),
    ).toBeNull();
  });
});

describe("the verdict for a deploy", () => {
  const frozen = freezeOf(
    [carrying("m1", encodeFreeze(freeze({ until: "2025-06-11T14:00:00.000Z" })))],
    NOW,
  );

  it("refuses while frozen, as bad input, with who, until when and why", () => {
    expect(() => checkDeployAllowed("acme-web", frozen, { unfreeze: false })).toThrow(
      expect.objectContaining({
        code: "FROZEN",
        exitCode: 2,
        message:
          "acme-web is frozen by alice@acme.test until 2025-06-11T14:00:00.000Z: 3.1.12 drops orders",
      }),
    );
  });

  it("lets a deploy through that lifts the freeze", () => {
    expect(() => checkDeployAllowed("acme-web", frozen, { unfreeze: true })).not.toThrow();
  });
});

describe("--until", () => {
  it.each([
    ["90m", "2025-06-11T13:30:00.000Z"],
    ["2h", "2025-06-11T14:00:00.000Z"],
    ["1d12h", "2025-06-13T00:00:00.000Z"],
    ["2025-06-12T09:00:00Z", "2025-06-12T09:00:00.000Z"],
    ["2025-06-12T11:00:00+02:00", "2025-06-12T09:00:00.000Z"],
  ])("reads %s", (text, expected) => {
    expect(parseFreezeUntil(text, NOW)).toBe(expected);
  });

  it.each(["soon", "0h", "2025-06-12", "2025-06-10T09:00:00Z", "5"])("refuses %s", (text) => {
    expect(parseFreezeUntil(text, NOW)).toBeNull();
  });

  it("makes a bad --until an input error before anything is sent", () => {
    expect(() =>
      newFreeze({ by: "a", reason: "x", until: "yesterday", holds: null, now: NOW }),
    ).toThrow(expect.objectContaining({ code: "INVALID_UNTIL", exitCode: 2 }));
  });
});

describe("a new freeze", () => {
  it("keeps the reason on one line and stamps the time", () => {
    expect(
      newFreeze({ by: "a", reason: "  bad\n  deploy ", until: "1h", holds: null, now: NOW }),
    ).toEqual({
      by: "a",
      reason: "bad deploy",
      at: "2025-06-11T12:00:00.000Z",
      until: "2025-06-11T13:00:00.000Z",
      holds: null,
    });
  });

  it("refuses a reason too long for machine metadata", () => {
    expect(() =>
      newFreeze({ by: "a", reason: "x".repeat(301), until: null, holds: null, now: NOW }),
    ).toThrow(expect.objectContaining({ code: "INVALID_REASON" }));
  });
});

describe("who froze it", () => {
  const local = { user: "alice", host: "laptop" };
  it.each([
    [{ SEMFLY_ACTOR: "ops-bot" }, "ops-bot"],
    [{ GITHUB_ACTIONS: "true", GITHUB_ACTOR: "octocat" }, "octocat (GitHub Actions)"],
    [{ GITHUB_ACTOR: "octocat" }, "alice@laptop"],
    [{}, "alice@laptop"],
  ])("from %j is %s", (env, expected) => {
    expect(freezeActor(env, local)).toBe(expected);
  });
});
