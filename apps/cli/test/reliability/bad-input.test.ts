// @module-tag slow: seconds of real waiting (see vitest.config.ts); `pnpm test:fast` skips this file.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Emulator, startEmulator } from "@semfly/fly-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  APP,
  type CliRun,
  emulatorEnv,
  jsonError,
  runCli,
  type Spoil,
  type SpoilingProxy,
  sandbox,
  spoilingProxy,
  throughProxy,
} from "./cli.js";

/**
 * Bad input, table-driven: every case must end with one `Error:` line (and at most a suggestion) on
 * stderr, `{error: {code}}` as the only thing on stdout with --json, the documented exit code (2 bad
 * input, 1 Fly/operational), and no request that changes anything at Fly.
 */
interface Case {
  name: string;
  args: string[];
  code: string;
  exit: 1 | 2;
  env?: Record<string, string | undefined>;
  /** fly.toml in the working directory. */
  flyToml?: string;
  /** ~/.fly/config.yml */
  flyConfig?: string;
  /** Answers a proxy in front of the emulator gives instead of Fly's. */
  spoil?: (request: { method: string; path: string; body: string }) => Spoil | null;
}

const app = ["--app", APP];
const releasesQuery = (r: { method: string; body: string }) =>
  r.method === "POST" && r.body.includes("SemflyReleasesPage");
const machinesList = (r: { method: string; path: string }) =>
  r.method === "GET" && r.path === `/v1/apps/${APP}/machines`;
const releasesPage = (node: Record<string, unknown>) =>
  JSON.stringify({
    data: {
      app: {
        releases: {
          nodes: [
            {
              id: "r1",
              version: 1,
              status: "complete",
              stable: true,
              reason: "deploy",
              description: "Deploy image",
              user: { email: "a@b.test" },
              createdAt: "2025-01-01T00:00:00Z",
              imageRef: "registry.fly.io/acme-web:1.0.0",
              image: null,
              metadata: null,
              ...node,
            },
          ],
          pageInfo: { endCursor: null, hasNextPage: false },
          totalCount: 1,
        },
      },
    },
  });

const cases: Case[] = [
  // What to roll back to
  {
    name: "a target that is not a version",
    args: ["rollback", "three", "--yes", ...app],
    code: "NOT_A_VERSION",
    exit: 2,
  },
  {
    name: "an invalid range",
    args: ["rollback", ">=3.1 <", "--yes", ...app],
    code: "NOT_A_VERSION",
    exit: 2,
  },
  {
    name: "a version never deployed",
    args: ["rollback", "9.9.9", "--yes", ...app],
    code: "NEVER_DEPLOYED",
    exit: 2,
  },
  {
    name: "a digest never deployed",
    args: ["rollback", "sha256:abcdef12", "--yes", ...app],
    code: "NEVER_DEPLOYED",
    exit: 2,
  },
  {
    name: "a range nothing satisfies",
    args: ["rollback", "^4", "--yes", ...app],
    code: "RANGE_NO_MATCH",
    exit: 2,
  },
  {
    name: "the live version",
    args: ["rollback", "3.1.12", "--yes", ...app],
    code: "ALREADY_LIVE",
    exit: 2,
  },
  {
    name: "the live version with a v",
    args: ["rollback", "v3.1.12", "--yes", ...app],
    code: "ALREADY_LIVE",
    exit: 2,
  },
  {
    name: "a version whose only deploy failed",
    args: ["rollback", "3.2.0", "--yes", ...app],
    code: "NEVER_SUCCEEDED",
    exit: 2,
  },
  {
    name: "a release number Fly never made",
    args: ["rollback", "--release", "999", "--yes", ...app],
    code: "RELEASE_NOT_FOUND",
    exit: 2,
  },
  {
    name: "a negative release number",
    args: ["rollback", "--release=-3", "--yes", ...app],
    code: "INVALID_RELEASE",
    exit: 2,
  },
  {
    name: "a target and a release number",
    args: ["rollback", "3.1.11", "--release", "18", "--yes", ...app],
    code: "TARGET_AND_RELEASE",
    exit: 2,
  },
  {
    name: "a version whose image and digest Fly forgot",
    args: ["rollback", "3.1.9", "--yes", ...app],
    code: "DIGEST_UNKNOWN",
    exit: 2,
  },
  // Planned from the history, then the registry answers 404 for its digest: stop before leasing.
  {
    name: "a version whose image the registry no longer has",
    args: ["rollback", "3.1.11", "--yes", ...app],
    spoil: (r) =>
      r.path.startsWith("/oci/registry.fly.io/v2/acme-web/manifests/sha256:")
        ? {
            status: 404,
            body: '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}',
          }
        : null,
    code: "IMAGE_NOT_FOUND",
    exit: 2,
  },
  {
    name: "a diff against a version never deployed",
    args: ["diff", "9.9.9", ...app],
    code: "NEVER_DEPLOYED",
    exit: 2,
  },
  {
    name: "a deploy of something that is not a version",
    args: ["deploy", "three", "--image", "registry.fly.io/acme-web:3.1.10", "--yes", ...app],
    code: "NOT_A_VERSION",
    exit: 2,
  },
  {
    name: "a deploy of an image Fly does not have",
    args: ["deploy", "3.3.0", "--image", "registry.fly.io/acme-web:nope", "--yes", ...app],
    code: "IMAGE_NOT_FOUND",
    exit: 2,
  },
  {
    name: "a deploy that reuses a version for another image",
    args: ["deploy", "3.1.11", "--image", "registry.fly.io/acme-web:3.1.10", "--yes", ...app],
    code: "VERSION_IMMUTABLE",
    exit: 2,
  },
  {
    name: "v3, which is both Fly's release 3 and the range 3.x",
    args: ["rollback", "v3", "--yes", ...app],
    code: "AMBIGUOUS_TARGET",
    exit: 2,
  },
  {
    name: "a release number past 2^53",
    args: ["rollback", "--release", "9007199254740993", "--yes", ...app],
    code: "INVALID_RELEASE",
    exit: 2,
  },
  {
    name: "a v-number past 2^53",
    args: ["rollback", "v99999999999999999999", "--yes", ...app],
    code: "INVALID_RELEASE",
    exit: 2,
  },
  {
    name: "a deploy with an empty image",
    args: ["deploy", "3.3.0", "--image", "", "--yes", ...app],
    code: "IMAGE_MISSING",
    exit: 2,
  },
  {
    name: "a mistyped command",
    args: ["rollbak", "3.1.11", "--yes", ...app],
    code: "UNKNOWN_COMMAND",
    exit: 2,
  },
  // Flag values
  {
    name: "an unknown strategy",
    args: ["rollback", "3.1.11", "--strategy", "sideways", "--yes", ...app],
    code: "INVALID_STRATEGY",
    exit: 2,
  },
  {
    name: "max-unavailable above the machines that would change",
    args: ["rollback", "3.1.11", "--max-unavailable", "8", "--yes", ...app],
    code: "MAX_UNAVAILABLE_TOO_HIGH",
    exit: 2,
  },
  {
    name: "max-unavailable 1.5",
    args: ["rollback", "3.1.11", "--max-unavailable", "1.5", "--yes", ...app],
    code: "INVALID_MAX_UNAVAILABLE",
    exit: 2,
  },
  {
    name: "max-unavailable that is not a number",
    args: ["rollback", "3.1.11", "--max-unavailable", "lots", "--yes", ...app],
    code: "INVALID_MAX_UNAVAILABLE",
    exit: 2,
  },
  {
    name: "a wait timeout under a second",
    args: ["rollback", "3.1.11", "--wait-timeout", "500ms", "--yes", ...app],
    code: "INVALID_DURATION",
    exit: 2,
  },
  {
    name: "a wait timeout without a unit",
    args: ["rollback", "3.1.11", "--wait-timeout", "90", "--yes", ...app],
    code: "INVALID_DURATION",
    exit: 2,
  },
  {
    name: "a release number that is not a number",
    args: ["rollback", "--release", "abc", "--yes", ...app],
    code: "INVALID_RELEASE",
    exit: 2,
  },
  {
    name: "a flag that does not exist",
    args: ["rollback", "3.1.11", "--bogus", "--yes", ...app],
    code: "INVALID_ARGUMENTS",
    exit: 2,
  },
  {
    name: "an argument too many",
    args: ["releases", ...app, "extra"],
    code: "INVALID_ARGUMENTS",
    exit: 2,
  },
  // The app name given as an argument, a likely slip: oclif reads `versions acme-web` as a command id.
  {
    name: "the app name as an argument",
    args: ["versions", APP],
    code: "INVALID_ARGUMENTS",
    exit: 2,
  },
  {
    name: "no --yes when stdin is not a terminal",
    args: ["rollback", "3.1.11", ...app],
    code: "CONFIRMATION_REQUIRED",
    exit: 2,
  },
  // Who and where
  {
    name: "no token anywhere",
    args: ["versions", ...app],
    env: { FLY_API_TOKEN: undefined },
    code: "MISSING_TOKEN",
    exit: 2,
  },
  {
    name: "a token Fly rejects (401)",
    args: ["versions", ...app],
    env: { FLY_API_TOKEN: "fm2_revoked_cli_token" },
    code: "UNAUTHORIZED",
    exit: 2,
  },
  {
    name: "a ~/.fly/config.yml that is not YAML",
    args: ["versions", ...app],
    env: { FLY_API_TOKEN: undefined },
    flyConfig: 'access_token: "fm2_x\n  - : [',
    code: "FLY_CONFIG_INVALID",
    exit: 2,
  },
  {
    name: "an app Fly does not have",
    args: ["status", "--app", "no-such-app"],
    code: "APP_NOT_FOUND",
    exit: 2,
  },
  {
    name: "an app name with a space",
    args: ["rollback", "3.1.11", "--yes", "--app", "acme web"],
    code: "INVALID_APP_NAME",
    exit: 2,
  },
  {
    name: "FLY_APP with a slash",
    args: ["status"],
    env: { FLY_APP: "acme-web/../other" },
    code: "INVALID_APP_NAME",
    exit: 2,
  },
  { name: "no app and no fly.toml", args: ["versions"], code: "APP_NAME_MISSING", exit: 2 },
  {
    name: "a fly.toml that is not TOML",
    args: ["versions"],
    flyToml: 'app = "acme-web\n[[services]\n',
    code: "FLY_TOML_INVALID",
    exit: 2,
  },
  {
    name: "a fly.toml without an app",
    args: ["status"],
    flyToml: 'primary_region = "ams"\n',
    code: "APP_NAME_MISSING",
    exit: 2,
  },
  {
    name: "a fly.toml naming an app Fly does not have",
    args: ["status"],
    flyToml: 'app = "acme-wbe"\n',
    code: "APP_NOT_FOUND",
    exit: 2,
  },
  {
    name: "an API URL that is not a URL",
    args: ["versions", ...app],
    env: { FLY_API_BASE_URL: "api.fly.io" },
    code: "INVALID_BASE_URL",
    exit: 2,
  },
  // What Fly answers
  {
    name: "machines as an HTML page",
    args: ["status", ...app],
    spoil: (r) =>
      machinesList(r)
        ? { body: "<html>oops</html>", headers: { "content-type": "text/html" } }
        : null,
    code: "MALFORMED_RESPONSE",
    exit: 1,
  },
  {
    name: "machines cut off mid-JSON",
    args: ["status", ...app],
    spoil: (r) => (machinesList(r) ? { body: '[{"id":"148e272f6d4d89","state":"sta' } : null),
    code: "MALFORMED_RESPONSE",
    exit: 1,
  },
  {
    name: "a machine state that is a number",
    args: ["status", ...app],
    spoil: (r) =>
      machinesList(r) ? { body: '[{"id":"m1","state":7,"config":{"image":"x"}}]' } : null,
    code: "MALFORMED_RESPONSE",
    exit: 1,
  },
  {
    name: "releases cut off mid-JSON",
    args: ["versions", ...app],
    spoil: (r) =>
      releasesQuery(r) ? { body: '{"data":{"app":{"releases":{"nodes":[{"id":' } : null,
    code: "MALFORMED_RESPONSE",
    exit: 1,
  },
  {
    name: "a release version that is a string",
    args: ["releases", ...app],
    spoil: (r) => (releasesQuery(r) ? { body: releasesPage({ version: "27" }) } : null),
    code: "MALFORMED_RESPONSE",
    exit: 1,
  },
  {
    name: "releases larger than 50 MB",
    args: ["versions", ...app],
    spoil: (r) => (releasesQuery(r) ? { enormousBytes: 60 * 1024 * 1024 } : null),
    code: "RESPONSE_TOO_LARGE",
    exit: 1,
  },
  {
    name: "a connection cut in the middle of the machines",
    args: ["status", ...app],
    spoil: (r) => (machinesList(r) ? { cutAfter: '[{"id":"148e' } : null),
    code: "NETWORK_ERROR",
    exit: 1,
  },
  {
    name: "a lease answer that is not JSON",
    args: ["rollback", "3.1.11", "--yes", ...app],
    spoil: (r) =>
      r.method === "POST" && r.path.endsWith("/lease")
        ? { status: 201, body: "lease granted!" }
        : null,
    code: "MALFORMED_RESPONSE",
    exit: 1,
  },
];

let emulator: Emulator;
beforeAll(async () => {
  // Forty CLIs ask about one app at once: Fly's per-app rate limit would turn cases into 429s.
  emulator = await startEmulator({
    scenario: "demo",
    bootTimeMs: 50,
    checkDelayMs: 10,
    seed: 5,
    rateLimits: false,
  });
  // A deploy of 3.2.0 that failed, and 3.1.9's image pruned from the registry (with it, its digest).
  emulator.addImage(APP, { ref: "registry.fly.io/acme-web:3.2.0" });
  emulator.addRelease(APP, { image: "registry.fly.io/acme-web:3.2.0", status: "failed" });
  emulator.removeImage(APP, "registry.fly.io/acme-web:3.1.9");
  emulator.clearRequestLog();
});
afterAll(async () => {
  // Nothing any case did reached Fly as a change.
  expect(emulator.mutatingRequests()).toEqual([]);
  await emulator.close();
});

async function run(c: Case): Promise<{ run: CliRun; proxy: SpoilingProxy | null }> {
  const box = await sandbox();
  let proxy: SpoilingProxy | null = null;
  try {
    if (c.flyToml !== undefined) await writeFile(join(box.cwd, "fly.toml"), c.flyToml);
    if (c.flyConfig !== undefined) {
      await mkdir(join(box.home, ".fly"), { recursive: true });
      await writeFile(join(box.home, ".fly", "config.yml"), c.flyConfig);
    }
    let env: Record<string, string | undefined> = { ...emulatorEnv(emulator, box), ...c.env };
    if (c.spoil) {
      proxy = await spoilingProxy(emulator.url, c.spoil);
      env = throughProxy(env as Record<string, string>, proxy);
    }
    return { run: await runCli([...c.args, "--json"], { env, cwd: box.cwd }), proxy };
  } finally {
    await proxy?.close();
    await box.dispose();
  }
}

describe.concurrent("bad input to the CLI", () => {
  it.each(cases)("refuses $name: one line, exit $exit, nothing changed", async (c) => {
    const { run: result, proxy } = await run(c);
    const label = `${c.args.join(" ")}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
    expect(result.code, label).toBe(c.exit);
    const error = jsonError(result);
    expect(error.code, label).toBe(c.code);
    expect(error.message, label).not.toMatch(/\n/);
    // Written for a person: single spaces, no internal operation name tacked on ("… (list releases)").
    expect(error.message, label).not.toMatch(/ {2}/);
    expect(error.message, label).not.toMatch(
      /\((?:list|get|read|set|start|update|create|acquire|refresh|release|resolve|wait for) [a-z ]+\)\.?$/,
    );
    // stderr: the error and its suggestion; no stack, no progress, no plan.
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines[0], label).toBe(`Error: ${error.message}`);
    expect(lines.length, label).toBeLessThanOrEqual(2);
    if (lines[1] !== undefined) expect(lines[1], label).toBe(`  ${error.suggestion}`);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    if (c.spoil)
      expect(proxy?.spoiled.length, "the spoiled answer was asked for").toBeGreaterThan(0);
    expect(emulator.mutatingRequests(), label).toEqual([]);
  });
});
