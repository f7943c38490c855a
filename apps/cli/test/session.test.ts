import type { Emulator } from "@semfly/fly-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SECRET_TOKEN, semfly, startTestEmulator } from "./helpers.js";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator.close();
});

describe("the session's knobs for the emulator", () => {
  it.each([
    ["SEMFLY_RATE_LIMITS", '{"perAction":{"perSecond":0,"burst":3}}', "INVALID_RATE_LIMITS"],
    ["SEMFLY_RETRY", '{"retries":"many"}', "INVALID_RETRY"],
  ])("refuses a bad %s as bad input before any request", async (name, value, code) => {
    emulator.clearRequestLog();
    const { stdout, stderr, exitCode } = await semfly(["versions", "--json"], emulator, {
      env: { FLY_API_TOKEN: SECRET_TOKEN, FLY_APP: "acme-web", [name]: value },
    });
    expect(exitCode).toBe(2);
    expect(stderr.trim().split("\n")[0]).toMatch(
      new RegExp(`^Error: ${name} is not a JSON object`),
    );
    expect(JSON.parse(stdout).error.code).toBe(code);
    expect(emulator.requestLog).toEqual([]);
  });

  it("runs as usual with Fly's own pacing and back-off when both are empty", async () => {
    const { exitCode, stdout } = await semfly(["versions", "--json"], emulator, {
      env: {
        FLY_API_TOKEN: SECRET_TOKEN,
        FLY_APP: "acme-web",
        SEMFLY_RATE_LIMITS: "",
        SEMFLY_RETRY: "",
      },
    });
    expect(exitCode).toBe(0);
    // The demo's four versions, newest first.
    expect(JSON.parse(stdout).map((v: { version: string }) => v.version)).toEqual([
      "3.1.12",
      "3.1.11",
      "3.1.10",
      "3.1.9",
    ]);
  });
});
