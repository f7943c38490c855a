// @module-tag slow: seconds of real waiting (see vitest.config.ts); `pnpm test:fast` skips this file.
import { type Emulator, scenario, startEmulator } from "@semfly/fly-emulator";
import { describe, expect, it } from "vitest";
import {
  APP,
  type CliRun,
  emulatorEnv,
  runCli,
  type Sandbox,
  sandbox,
  spoilingProxy,
  throughProxy,
} from "./cli.js";

/**
 * A recognisable token, run through every command on its success and failure paths with every kind of
 * debug output on: it must appear nowhere in stdout or stderr, whole or in part.
 */
const PART_A = "fm2_lJPECAAAAAAAB7x3CLIRELIABILITYsecretAAAA9q2VtZmx5";
const PART_B = "fm2_lJPEtwoCLIRELIABILITYsecretBBBBzZW1mbHkgcGFydA==";
const TOKEN = `FlyV1 ${PART_A},${PART_B}`;
const REJECTED = "fm2_lJPErejectedCLIRELIABILITYsecretCCCC";
const NEEDLES = [
  TOKEN,
  PART_A,
  PART_B,
  REJECTED,
  PART_A.slice(4),
  PART_B.slice(4),
  REJECTED.slice(4),
  "RELIABILITYsecret",
];

/** A fresh emulator per case: cases run at once, and some of them roll back. */
async function tokenWorld(): Promise<{
  emulator: Emulator;
  box: Sandbox;
  base: Record<string, string>;
  close(): Promise<void>;
}> {
  const emulator = await startEmulator({
    scenario: scenario(APP)
      .token(PART_A, "secret-keeper@acme.test")
      .image("1.0.0")
      .image("1.0.1")
      .image("1.0.2")
      .release({ image: "1.0.0" })
      .release({ image: "1.0.1" })
      .release({ image: "1.0.2" })
      .machines(2, { regions: ["ams", "iad"] }),
    bootTimeMs: 30,
    checkDelayMs: 10,
    seed: 9,
  });
  emulator.markImageBad("registry.fly.io/acme-web:1.0.0");
  const box = await sandbox();
  const base = { ...emulatorEnv(emulator, box), FLY_API_TOKEN: TOKEN };
  return {
    emulator,
    box,
    base,
    close: async () => {
      await emulator.close();
      await box.dispose();
    },
  };
}

type Run = [name: string, args: string[], env: Record<string, string | undefined>, exit: number];
const viaFlag = { FLY_API_TOKEN: undefined };
const runs: Run[] = [
  ["versions --verbose", ["versions", "--verbose", "--app", APP], {}, 0],
  [
    "releases --json with DEBUG=semfly*",
    ["releases", "--json", "--app", APP],
    { DEBUG: "semfly*" },
    0,
  ],
  [
    "status --json --verbose, token by flag",
    ["status", "--json", "--verbose", "--app", APP, "--access-token", TOKEN],
    viaFlag,
    0,
  ],
  [
    "diff with DEBUG=*, token by flag",
    ["diff", "1.0.1", "--app", APP, `--access-token=${TOKEN}`],
    { ...viaFlag, DEBUG: "*" },
    0,
  ],
  [
    "rollback --dry-run --json --verbose",
    ["rollback", "1.0.1", "--dry-run", "--json", "--verbose", "--app", APP],
    {},
    0,
  ],
  [
    "a rollback that completes, --verbose",
    ["rollback", "1.0.1", "--yes", "--verbose", "--app", APP],
    {},
    0,
  ],
  [
    "a rollback that fails and reverts, --json --verbose",
    ["rollback", "1.0.0", "--yes", "--json", "--verbose", "--app", APP],
    {},
    1,
  ],
  [
    "a deploy Fly refuses, DEBUG=*",
    ["deploy", "9.0.0", "--image", "registry.fly.io/acme-web:none", "--yes", "--app", APP],
    { DEBUG: "*" },
    2,
  ],
  [
    "a rejected token, --verbose --json",
    ["versions", "--verbose", "--json", "--app", APP],
    { FLY_API_TOKEN: REJECTED },
    2,
  ],
  [
    "a rejected token by flag, DEBUG=*",
    ["status", "--app", APP, "-t", REJECTED],
    { ...viaFlag, DEBUG: "*" },
    2,
  ],
  [
    "a flag error with the token in argv, DEBUG=*",
    ["status", "--app", APP, "--access-token", TOKEN, "--bogus"],
    { ...viaFlag, DEBUG: "*" },
    2,
  ],
  [
    "an unreachable Fly, --verbose",
    ["versions", "--verbose", "--app", APP],
    { FLY_API_BASE_URL: "http://127.0.0.1:9", FLY_FLAPS_BASE_URL: "http://127.0.0.1:9" },
    1,
  ],
];

function expectNoSecret(label: string, run: CliRun): void {
  const output = `${run.stdout}\n${run.stderr}`;
  for (const needle of NEEDLES) {
    expect(output.includes(needle), `${label} printed "${needle}":\n${output.slice(0, 3000)}`).toBe(
      false,
    );
  }
}

describe.concurrent("the token in the CLI's output", () => {
  it.each(runs)("appears nowhere for %s", async (name, args, env, exit) => {
    const world = await tokenWorld();
    let run: CliRun;
    try {
      run = await runCli(args, { env: { ...world.base, ...env }, cwd: world.box.cwd });
    } finally {
      await world.close();
    }
    expect(run.code, `${name}: ${run.stderr.slice(0, 2000)}`).toBe(exit);
    expectNoSecret(name, run);
    // The debug output the case is about was really produced.
    if (args.includes("--verbose") || env.DEBUG === "semfly*") {
      expect(run.stderr, name).toMatch(/^semfly:http (GET|POST) /m);
    }
    if (env.DEBUG === "*") expect(run.stderr, name).toMatch(/^oclif/m);
  });

  it("appears nowhere when Fly quotes it back in an error, with --verbose", async () => {
    // A misbehaving proxy that echoes the Authorization header it got into an error body.
    const world = await tokenWorld();
    const proxy = await spoilingProxy(world.emulator.url, (request) =>
      request.method === "GET" && request.path === `/v1/apps/${APP}/machines`
        ? { status: 400, body: JSON.stringify({ error: `bad header: FlyV1 ${PART_A},${PART_B}` }) }
        : null,
    );
    try {
      const run = await runCli(["status", "--verbose", "--app", APP], {
        env: throughProxy(world.base, proxy),
        cwd: world.box.cwd,
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /^Error: Fly refused to list machines \(HTTP 400\): bad header: .*\[REDACTED\]/m,
      );
      expectNoSecret("echoed token", run);
    } finally {
      await proxy.close();
      await world.close();
    }
  });
});
