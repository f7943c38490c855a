import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  authorizationHeader,
  explainTokenRejection,
  readAppNameFromFlyToml,
  redact,
  resolveAccessToken,
  resolveAppName,
  resolveEndpoints,
  SemflyError,
} from "../../src/index.js";

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "semfly-config-"));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

async function writeFlyConfig(text: string) {
  await mkdir(join(home, ".fly"), { recursive: true });
  await writeFile(join(home, ".fly", "config.yml"), text);
}

describe("resolveEndpoints", () => {
  it("uses Fly's public endpoints when nothing is set", () => {
    expect(resolveEndpoints({})).toEqual({
      apiBaseUrl: "https://api.fly.io",
      flapsBaseUrl: "https://api.machines.dev",
      uiexBaseUrl: "https://api.fly.io",
      metricsBaseUrl: "https://api.fly.io",
    });
  });

  it("honours FLY_*_BASE_URL and trims trailing slashes", () => {
    expect(
      resolveEndpoints({
        FLY_API_BASE_URL: "http://localhost:4000/",
        FLY_FLAPS_BASE_URL: "http://localhost:4001//",
        FLY_UIEX_BASE_URL: "http://localhost:4002",
        FLY_METRICS_BASE_URL: "http://localhost:4003/",
      }),
    ).toEqual({
      apiBaseUrl: "http://localhost:4000",
      flapsBaseUrl: "http://localhost:4001",
      uiexBaseUrl: "http://localhost:4002",
      metricsBaseUrl: "http://localhost:4003",
    });
  });

  it("rejects an invalid URL as an input error naming the variable", () => {
    expect(() => resolveEndpoints({ FLY_FLAPS_BASE_URL: "not a url" })).toThrow(
      expect.objectContaining({
        kind: "input",
        code: "INVALID_BASE_URL",
        message: expect.stringContaining("FLY_FLAPS_BASE_URL"),
      }),
    );
  });
});

describe("resolveAccessToken", () => {
  it("prefers the flag over every environment variable and the config file", async () => {
    await writeFlyConfig("access_token: from-config-file\n");
    const env = { FLY_ACCESS_TOKEN: "from-access", FLY_API_TOKEN: "from-api" };
    expect(await resolveAccessToken({ flag: "from-flag", env, homeDir: home })).toEqual({
      token: "from-flag",
      source: "flag",
    });
  });

  it("prefers FLY_ACCESS_TOKEN over FLY_API_TOKEN", async () => {
    const env = { FLY_ACCESS_TOKEN: "from-access", FLY_API_TOKEN: "from-api" };
    expect(await resolveAccessToken({ env, homeDir: home })).toEqual({
      token: "from-access",
      source: "FLY_ACCESS_TOKEN",
    });
  });

  it("refuses an empty --access-token instead of falling back to another token", async () => {
    const env = { FLY_API_TOKEN: "from-api" };
    for (const flag of ["", "  "]) {
      await expect(resolveAccessToken({ flag, env, homeDir: home })).rejects.toMatchObject({
        code: "EMPTY_ACCESS_TOKEN",
        kind: "input",
        message: "--access-token was given an empty value.",
      });
    }
  });

  it("refuses a token with a line break inside, naming where it came from and not the token", async () => {
    const env = { FLY_API_TOKEN: "fm2_first_half\nfm2_second_half" };
    const error = await resolveAccessToken({ env, homeDir: home }).catch((e: Error) => e);
    expect(error).toMatchObject({
      code: "MALFORMED_ACCESS_TOKEN",
      kind: "input",
      message: "The token from FLY_API_TOKEN contains a line break or control character.",
    });
    expect(String((error as Error).message)).not.toContain("first_half");
  });

  it("uses FLY_API_TOKEN when FLY_ACCESS_TOKEN is empty", async () => {
    const env = { FLY_ACCESS_TOKEN: "", FLY_API_TOKEN: "from-api" };
    expect(await resolveAccessToken({ env, homeDir: home })).toEqual({
      token: "from-api",
      source: "FLY_API_TOKEN",
    });
  });

  it("reads access_token from ~/.fly/config.yml last", async () => {
    await writeFlyConfig("access_token: from-config-file\nwire_guard_state: {}\n");
    expect(await resolveAccessToken({ env: {}, homeDir: home })).toEqual({
      token: "from-config-file",
      source: "config",
      file: join(home, ".fly", "config.yml"),
    });
  });

  it("reads config.yml in FLY_CONFIG_DIR instead of ~/.fly when it is set, as flyctl does", async () => {
    await writeFlyConfig("access_token: from-home\n");
    const configDir = join(home, "elsewhere");
    await mkdir(configDir);
    await writeFile(join(configDir, "config.yml"), "access_token: from-config-dir\n");
    expect(await resolveAccessToken({ env: { FLY_CONFIG_DIR: configDir }, homeDir: home })).toEqual(
      { token: "from-config-dir", source: "config", file: join(configDir, "config.yml") },
    );
  });

  it("does not fall back to ~/.fly when FLY_CONFIG_DIR names a folder without config.yml", async () => {
    await writeFlyConfig("access_token: from-home\n");
    const env = { FLY_CONFIG_DIR: join(home, "empty") };
    expect(await resolveAccessToken({ env, homeDir: home })).toBeNull();
  });

  it("treats an empty FLY_CONFIG_DIR as unset, so ./config.yml is never read", async () => {
    await writeFlyConfig("access_token: from-home\n");
    expect(await resolveAccessToken({ env: { FLY_CONFIG_DIR: " " }, homeDir: home })).toEqual({
      token: "from-home",
      source: "config",
      file: join(home, ".fly", "config.yml"),
    });
  });

  it("registers the token it finds so redaction removes it from any text", async () => {
    await writeFlyConfig("access_token: cfg-token-7d3a9b21\n");
    await resolveAccessToken({ env: {}, homeDir: home });
    expect(redact("request failed for cfg-token-7d3a9b21")).toBe("request failed for [REDACTED]");
  });

  it("returns null when there is no token anywhere", async () => {
    expect(await resolveAccessToken({ env: {}, homeDir: home })).toBeNull();
    await writeFlyConfig("auto_update: true\n");
    expect(await resolveAccessToken({ env: {}, homeDir: home })).toBeNull();
  });

  it("reports a malformed config.yml by name without quoting its contents", async () => {
    await writeFlyConfig('access_token: "fm2_leakyTokenValue\n  : [unbalanced\n');
    const error = await resolveAccessToken({ env: {}, homeDir: home }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "input", code: "FLY_CONFIG_INVALID" });
    const text = JSON.stringify({ ...(error as object), message: (error as Error).message });
    expect(text).toContain(join(home, ".fly", "config.yml"));
    expect(text).not.toContain("leakyTokenValue");
    expect((error as Error).cause).toBeUndefined();
  });
});

describe("explainTokenRejection", () => {
  const unauthorized = new SemflyError({
    code: "UNAUTHORIZED",
    kind: "input",
    message: "Fly refused to list machines (HTTP 401): unauthorized",
    suggestion: "Check FLY_API_TOKEN",
    status: 401,
  });

  it("says a refused token from config.yml may have expired and how to refresh it", () => {
    const explained = explainTokenRejection(unauthorized, {
      token: "t",
      source: "config",
      file: "/home/u/.fly/config.yml",
    });
    expect(explained).toMatchObject({
      code: "UNAUTHORIZED",
      kind: "input",
      status: 401,
      message:
        "Fly refused to list machines (HTTP 401): unauthorized: the token from /home/u/.fly/config.yml may have expired",
      suggestion: expect.stringMatching(/`fly auth login`.*`fly auth token`/),
      cause: unauthorized,
    });
  });

  it("leaves a refusal of a token from the environment or the flag as it is", () => {
    for (const source of ["flag", "FLY_ACCESS_TOKEN", "FLY_API_TOKEN"] as const) {
      expect(explainTokenRejection(unauthorized, { token: "t", source })).toBe(unauthorized);
    }
  });

  it("leaves other errors from a config.yml token as they are", () => {
    const forbidden = new SemflyError({ code: "FORBIDDEN", message: "no", status: 403 });
    expect(explainTokenRejection(forbidden, { token: "t", source: "config" })).toBe(forbidden);
  });
});

describe("authorizationHeader", () => {
  it("sends a plain user token as Bearer", () => {
    expect(authorizationHeader("abc123oauth")).toBe("Bearer abc123oauth");
  });

  it("sends macaroons as FlyV1", () => {
    expect(authorizationHeader("fm2_lJPEabc,fm2_second")).toBe("FlyV1 fm2_lJPEabc,fm2_second");
    expect(authorizationHeader("fm1r_abc")).toBe("FlyV1 fm1r_abc");
    expect(authorizationHeader("fm1a_abc")).toBe("FlyV1 fm1a_abc");
  });

  it("strips a pasted scheme prefix, whatever its case", () => {
    expect(authorizationHeader("FlyV1 fm2_abc")).toBe("FlyV1 fm2_abc");
    expect(authorizationHeader("bearer plain-token")).toBe("Bearer plain-token");
    expect(authorizationHeader("flyv1 fm2_abc")).toBe("FlyV1 fm2_abc");
  });

  it("treats a list as macaroons when any part is one, macaroons first for GraphQL", () => {
    expect(authorizationHeader("oauthtok,fm2_abc")).toBe("FlyV1 fm2_abc,oauthtok");
  });

  it("sends only the macaroons to the Machines API", () => {
    expect(authorizationHeader("oauthtok,fm2_abc", "machines")).toBe("FlyV1 fm2_abc");
    expect(authorizationHeader("oauthtok", "machines")).toBe("Bearer oauthtok");
  });

  it("always sends Bearer plus the whole token to the release REST API, as flyctl does", () => {
    expect(authorizationHeader("FlyV1 fm2_abc,fm2_def", "releases")).toBe("Bearer fm2_abc,fm2_def");
  });

  it("does not mistake a look-alike prefix for a macaroon", () => {
    expect(authorizationHeader("fm3_abc")).toBe("Bearer fm3_abc");
    expect(authorizationHeader("xfm2_abc")).toBe("Bearer xfm2_abc");
  });
});

describe("app name", () => {
  it("reads app from fly.toml text", () => {
    expect(readAppNameFromFlyToml('app = "my-app"\nprimary_region = "cdg"\n', "fly.toml")).toBe(
      "my-app",
    );
  });

  it("rejects fly.toml without an app, or invalid TOML, as input errors naming the file", () => {
    expect(() => readAppNameFromFlyToml('primary_region = "cdg"\n', "/x/fly.toml")).toThrow(
      expect.objectContaining({ kind: "input", message: expect.stringContaining("/x/fly.toml") }),
    );
    expect(() => readAppNameFromFlyToml("app = [", "/x/fly.toml")).toThrow(
      expect.objectContaining({ kind: "input", code: "FLY_TOML_INVALID" }),
    );
  });

  it("prefers --app, then FLY_APP, then fly.toml", async () => {
    await writeFile(join(home, "fly.toml"), 'app = "toml-app"\n');
    const env = { FLY_APP: "env-app" };
    expect(await resolveAppName({ flag: "flag-app", env, cwd: home })).toEqual({
      app: "flag-app",
      source: "flag",
    });
    expect(await resolveAppName({ env, cwd: home })).toEqual({ app: "env-app", source: "FLY_APP" });
    expect(await resolveAppName({ env: {}, cwd: home })).toEqual({
      app: "toml-app",
      source: "fly.toml",
    });
  });

  it("suggests --app, FLY_APP or a fly.toml when no app is given anywhere", async () => {
    const error = await resolveAppName({ env: {}, cwd: home }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "input", code: "APP_NAME_MISSING" });
    expect((error as { suggestion: string }).suggestion).toMatch(/--app.*FLY_APP.*fly\.toml/);
  });

  it.each([
    [{ flag: "acme web" }, '"acme web" (from --app) is not a Fly app name'],
    [{ env: { FLY_APP: "acme-web/../other" } }, '"acme-web/../other" (from FLY_APP)'],
    [{ flag: "acme?x=1" }, '"acme?x=1" (from --app)'],
  ])("refuses %j as an app name before any request could carry it", async (options, start) => {
    const error = await resolveAppName({ env: {}, cwd: home, ...options }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "input", code: "INVALID_APP_NAME" });
    expect((error as Error).message.startsWith(start)).toBe(true);
  });

  it("refuses a fly.toml whose app has a space, naming the file", async () => {
    await writeFile(join(home, "fly.toml"), 'app = "acme web"\n');
    const error = await resolveAppName({ env: {}, cwd: home }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "INVALID_APP_NAME" });
    expect((error as Error).message).toContain(join(home, "fly.toml"));
  });

  it("lets capitals and underscores through: Fly may know such a name", async () => {
    expect(await resolveAppName({ flag: "Acme_Web-2", env: {} })).toEqual({
      app: "Acme_Web-2",
      source: "flag",
    });
  });
});

describe("error messages", () => {
  it("are one line with single spaces, whatever the parts were", () => {
    const error = new SemflyError({
      code: "X",
      message: "Fly has no image  for acme-web\n  (details)",
      suggestion: "Push it  first.",
    });
    expect(error.message).toBe("Fly has no image for acme-web (details)");
    expect(error.suggestion).toBe("Push it first.");
  });
});
