import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Emulator } from "@semfly/fly-emulator";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { removeIsolatedHome, SECRET_TOKEN, semfly, startTestEmulator } from "./helpers.js";

/** The token `fly auth login` saved, in flyctl's config.yml, and what semfly says when Fly refuses it. */
let emulator: Emulator;
let configDir: string;

beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator.close();
  await removeIsolatedHome();
});
beforeEach(async () => {
  configDir = await mkdtemp(join(tmpdir(), "semfly-fly-config-"));
});
afterEach(async () => {
  await rm(configDir, { recursive: true, force: true });
});

async function login(token: string): Promise<Record<string, string | undefined>> {
  await mkdir(configDir, { recursive: true });
  await writeFile(join(configDir, "config.yml"), `access_token: ${token}\nsend_metrics: true\n`);
  return { FLY_API_TOKEN: undefined, FLY_CONFIG_DIR: configDir };
}

describe("the token from flyctl's config.yml", () => {
  it("is used when no flag or variable gives one, read from FLY_CONFIG_DIR when it is set", async () => {
    const run = await semfly(["versions", "--json"], emulator, { env: await login(SECRET_TOKEN) });
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout).find((v: { current: boolean }) => v.current).version).toBe(
      "3.1.12",
    );
  });

  it("refused by Fly (401): says it may have expired and how to refresh it, exit 2", async () => {
    const run = await semfly(["status"], emulator, { env: await login("fm2_expired_login") });
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe("");
    const file = join(configDir, "config.yml");
    const [error, suggestion, ...rest] = run.stderr.trimEnd().split("\n");
    // Whichever of Fly's APIs refuses first is reported; both then name the file and the expiry.
    expect(error).toMatch(
      /^Error: Fly refused to list (machines|releases)\b.*: the token from (.+) may have expired$/,
    );
    expect(error).toContain(`the token from ${file} may have expired`);
    expect(suggestion).toBe(
      "  Run `fly auth login` to refresh it (`fly auth token` prints the token it saved), or set FLY_API_TOKEN.",
    );
    expect(rest).toEqual([]);
    expect(run.stderr).not.toContain("fm2_expired_login");
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("a refused FLY_API_TOKEN is not called an expired login", async () => {
    const run = await semfly(["status"], emulator, {
      env: { ...(await login(SECRET_TOKEN)), FLY_API_TOKEN: "fm2_revoked_3f9c1d2b7a" },
    });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).not.toContain("may have expired");
    expect(run.stderr).toContain("FLY_API_TOKEN");
  });
});
