import { spawn } from "node:child_process";
import type { Emulator } from "@semfly/fly-emulator";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { semfly, startTestEmulator } from "../helpers.js";
import { BIN, emulatorEnv, type Sandbox, sandbox } from "../reliability/cli.js";

let emulator: Emulator;
let box: Sandbox;
beforeAll(async () => {
  box = await sandbox();
});
afterAll(async () => {
  await box.dispose();
});
beforeEach(async () => {
  emulator = await startTestEmulator();
  emulator.addImage("acme-web", {
    ref: "registry.fly.io/acme-web:3.2.0",
    labels: { "org.opencontainers.image.version": "3.2.0" },
  });
});
afterEach(async () => {
  expect(emulator.leases("acme-web")).toEqual([]);
  await emulator.close();
});

// semfly's clock in these runs is SEMFLY_NOW = 2025-06-11T12:00:00Z (see helpers.ts).
const later = { env: { SEMFLY_NOW: "2025-06-11T14:00:00Z" } };

const alive = (predicate: (metadata: Record<string, string>) => boolean) =>
  emulator
    .machines("acme-web")
    .filter((m) => !m.state.startsWith("destroy") && predicate(m.config?.metadata ?? {}))
    .map((m) => m.id)
    .sort();
const parkedIds = () => alive((md) => Boolean(md.semfly_parked_until));
const keptIds = () => alive((md) => Boolean(md.semfly_keep));

/** A parked set (bluegreen's previous 3.1.12 machines) and a kept 3.1.11 machine with no end. */
async function parkAndKeep(): Promise<void> {
  const deploy = await semfly(
    [
      "deploy",
      "3.2.0",
      "--image",
      "registry.fly.io/acme-web:3.2.0",
      "--yes",
      "--strategy",
      "bluegreen",
    ],
    emulator,
  );
  expect(deploy.exitCode).toBe(0);
  expect((await semfly(["keep", "3.1.11"], emulator)).exitCode).toBe(0);
  expect(parkedIds()).toHaveLength(7);
  expect(keptIds()).toHaveLength(1);
}

/** Run the built CLI on a pseudo-terminal (util-linux `script`) and type `answer` at the [y/N] question. */
function answerPrompt(args: string[], answer: string): Promise<{ output: string; code: number }> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(" ");
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    env: { ...emulatorEnv(emulator, box), TERM: "dumb" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  let answered = false;
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    if (!answered && output.includes("[y/N]")) {
      answered = true;
      child.stdin.write(`${answer}\r`);
    }
  });
  return new Promise((resolve) => {
    child.on("close", (code) => resolve({ output, code: code ?? 1 }));
  });
}

describe("semfly gc --all asks first", () => {
  it("refuses --all off a terminal without --yes in one line, exit 2, before any request", async () => {
    await parkAndKeep();
    emulator.clearRequestLog();
    const { stdout, stderr, exitCode } = await semfly(["gc", "--all"], emulator);
    expect(exitCode).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.split("\n")[0]).toBe(
      "Error: Refusing gc --all without confirmation (stdin is not a terminal): pass --yes, or --dry-run to list what it would destroy.",
    );
    expect(emulator.requestLog).toEqual([]);
    expect(parkedIds()).toHaveLength(7);
    expect(keptIds()).toHaveLength(1);
  });

  it("destroys every parked and kept machine with --all --yes", async () => {
    await parkAndKeep();
    const { stdout, exitCode } = await semfly(["gc", "--all", "--yes"], emulator);
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(
      /^Destroyed 7 parked machines of acme-web\.\nDestroyed 1 kept machine of acme-web, letting go of 3\.1\.11 \(\w+\)\.\n$/,
    );
    expect(parkedIds()).toEqual([]);
    expect(keptIds()).toEqual([]);
  });

  it("leaves plain gc (expired only) without a question: nothing expired, nothing destroyed", async () => {
    await parkAndKeep();
    const { stdout, exitCode } = await semfly(["gc"], emulator);
    expect(exitCode).toBe(0);
    expect(stdout.split("\n")[0]).toBe("Destroyed 0 parked machines of acme-web.");
    expect(parkedIds()).toHaveLength(7);
    expect(keptIds()).toHaveLength(1);
  });

  it("on a terminal, asks with the counts and changes nothing when the answer is no", async () => {
    await parkAndKeep();
    emulator.clearRequestLog();
    const { output, code } = await answerPrompt(["gc", "--all", "--app", "acme-web"], "n");
    expect(code).toBe(0);
    expect(output).toContain(
      "Destroy 7 parked machines (the way back of an instant rollback) and 1 kept machine of acme-web? [y/N]",
    );
    expect(output).toContain("Cancelled: nothing was changed.");
    expect(emulator.mutatingRequests()).toEqual([]);
    expect(parkedIds()).toHaveLength(7);
    expect(keptIds()).toHaveLength(1);
  });

  it("on a terminal, destroys them when the answer is yes", async () => {
    await parkAndKeep();
    const { output, code } = await answerPrompt(["gc", "--all", "--app", "acme-web"], "y");
    expect(code).toBe(0);
    expect(output).toContain("Destroyed 7 parked machines of acme-web.");
    expect(parkedIds()).toEqual([]);
    expect(keptIds()).toEqual([]);
  });
});

describe("semfly gc --dry-run", () => {
  it("lists what --all would destroy and changes nothing, without --yes off a terminal", async () => {
    await parkAndKeep();
    const [kept] = keptIds();
    emulator.clearRequestLog();
    const { stdout, exitCode } = await semfly(["gc", "--all", "--dry-run"], emulator);
    expect(exitCode).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("Would destroy on acme-web:");
    expect(lines[1]).toMatch(
      new RegExp(
        `^  parked 3\\.1\\.12: ${parkedIds().join(", ")} \\(parked until \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\)$`,
      ),
    );
    expect(lines[2]).toBe(`  kept 3.1.11: ${kept} (no end)`);
    expect(lines[3]).toBe(
      "7 parked machines and 1 kept machine. Dry run: nothing was changed. Run `semfly gc --all` to destroy them.",
    );
    expect(emulator.mutatingRequests()).toEqual([]);
    expect(parkedIds()).toHaveLength(7);
    expect(keptIds()).toHaveLength(1);
  });

  it("lists only what has expired without --all, as JSON too", async () => {
    expect((await semfly(["keep", "3.1.11", "--for", "1h"], emulator)).exitCode).toBe(0);
    const [kept] = keptIds();
    const early = await semfly(["gc", "--dry-run"], emulator);
    expect(early.stdout).toBe("Nothing to destroy on acme-web (nothing has expired).\n");

    emulator.clearRequestLog();
    const json = await semfly(["gc", "--dry-run", "--json"], emulator, later);
    expect(json.exitCode).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      app: "acme-web",
      dryRun: true,
      parked: [],
      kept: [{ machineId: kept, version: "3.1.11", expired: true }],
    });
    expect(emulator.mutatingRequests()).toEqual([]);
    expect(keptIds()).toEqual([kept]);
  });
});
