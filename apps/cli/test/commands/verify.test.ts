import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Emulator } from "@semfly/fly-emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestEmulator } from "../helpers.js";
import { emulatorEnv, runCli, type Sandbox, sandbox } from "../reliability/cli.js";

let box: Sandbox;

/** Runs the built CLI as a process: gate expressions hold spaces and quotes, as a shell passes them. */
async function semfly(
  args: string[],
  fly: Emulator,
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const run = await runCli(args, {
    cwd: options.cwd ?? box.cwd,
    env: { ...emulatorEnv(fly, box), FLY_APP: "acme-web", COLUMNS: "120", ...options.env },
  });
  return { stdout: run.stdout, stderr: run.stderr, exitCode: run.code ?? 1 };
}

/** The live image's digest (the demo's 3.1.12 is known by its OCI label only, under a deployment tag). */
function liveDigest(fly: Emulator): string {
  const machine = fly.machines("acme-web").find((m) => m.state === "started");
  return machine!.image_ref.digest;
}
const FIVE_XX = `sum(rate(fly_app_http_responses_count{app="$APP",status=~"5.."}[1m])) or vector(0)`;

let emulator: Emulator;
beforeEach(async () => {
  emulator = await startTestEmulator();
  box = await sandbox();
});
afterEach(async () => {
  await emulator.close();
  await box.dispose();
});

describe("semfly verify", () => {
  it("passes a healthy app and changes nothing", async () => {
    const before = emulator.mutatingRequests().length;
    const { stdout, stderr, exitCode } = await semfly(
      ["verify", "--probe", emulator.appUrl("acme-web", "/healthz"), "--gate", `${FIVE_XX} < 1`],
      emulator,
    );
    expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: "" });
    expect(stdout).toMatch(/^RESULT {2}GATE/);
    // The demo's autostopped and standby machines are judged by their image, not by checks.
    expect(stdout).toMatch(/\npass {4}Fly health checks {2,}5 started machines, checks passing\n/);
    expect(stdout).toMatch(/\npass {4}same image everywhere {2,}7 machines on sha256:/);
    expect(stdout.trimEnd().split("\n").at(-1)).toBe("acme-web: every gate passes on 7 machines.");
    expect(emulator.mutatingRequests().length).toBe(before);
  });

  it("fails a broken app with exit 1, the failing gate on stderr and the table on stdout", async () => {
    emulator.setImageTraffic(liveDigest(emulator), { errorRate: 0.5 });
    const { stdout, stderr, exitCode } = await semfly(
      ["verify", "--gate", `${FIVE_XX} < 1`],
      emulator,
    );
    expect(exitCode).toBe(1);
    expect(stdout).toMatch(/\nfail {4}sum\(rate/);
    expect(stderr).toBe(`Error: acme-web does not verify. ${FIVE_XX} < 1: 25 is not < 1\n`);
  });

  it("prints the report as JSON with --json and still exits 1 on a failure", async () => {
    emulator.setImageTraffic(liveDigest(emulator), { probeStatus: 500 });
    const { stdout, exitCode } = await semfly(
      ["verify", "--json", "--probe", emulator.appUrl("acme-web", "/")],
      emulator,
    );
    expect(exitCode).toBe(1);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({
      app: "acme-web",
      status: "fail",
      failed: { kind: "probe", value: 500 },
    });
  });

  it("reads the gates from semfly.toml beside fly.toml", async () => {
    const dir = await mkdtemp(join(tmpdir(), "semfly-verify-"));
    try {
      await writeFile(join(dir, "fly.toml"), 'app = "acme-web"\n');
      await writeFile(
        join(dir, "semfly.toml"),
        `[verify]\n[[verify.probe]]\nurl = "${emulator.appUrl("acme-web", "/healthz")}"\nbody = "ok"\n`,
      );
      const { stdout, exitCode } = await semfly(["verify"], emulator, {
        cwd: dir,
        env: { FLY_APP: undefined },
      });
      expect(exitCode).toBe(0);
      expect(stdout).toContain(`pass    GET ${emulator.appUrl("acme-web", "/healthz")}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [["--gate", "error_rate"], /^Error: The gate "error_rate" is not "QUERY <op> NUMBER"\.\n/],
    [
      ["--probe", "acme-web.fly.dev"],
      /^Error: The probe URL "acme-web\.fly\.dev" is not a URL\.\n/,
    ],
    [["--bake", "10"], /^Error: The bake window "10" is not a duration\.\n/],
  ])("refuses %j as bad input, sending nothing", async (args, message) => {
    const { stderr, exitCode } = await semfly(["verify", ...args], emulator);
    expect(exitCode).toBe(2);
    expect(stderr).toMatch(message);
    expect(emulator.requestLog.length).toBe(0);
  });
});
