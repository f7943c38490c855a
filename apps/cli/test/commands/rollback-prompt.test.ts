import { spawn } from "node:child_process";
import type { Emulator } from "@semfly/fly-emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator } from "../helpers.js";
import { BIN, emulatorEnv, type Sandbox, sandbox } from "../reliability/cli.js";

// The confirmation only appears on a terminal: util-linux's `script` (in Debian's essential bsdutils)
// gives the CLI a real pseudo-terminal, and the test types the answer once the question is on screen.
let emulator: Emulator;
let box: Sandbox;
beforeAll(async () => {
  emulator = await startTestEmulator();
  box = await sandbox();
});
afterAll(async () => {
  await emulator.close();
  await box.dispose();
});
afterEach(() => {
  expect(emulator.leases("acme-web")).toEqual([]);
});

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

describe("semfly rollback on a terminal", () => {
  it("shows the plan, asks, and changes nothing when the answer is no", async () => {
    emulator.clearRequestLog();
    const { output, code } = await answerPrompt(["rollback", "3.1.11", "--app", "acme-web"], "n");
    expect(output).toContain("Roll back acme-web from 3.1.12 to 3.1.11");
    expect(output).toContain(
      "Roll back 7 machines of acme-web (2 cold, updated without starting; 1 not managed, left alone)? [y/N]",
    );
    expect(output).toContain("Cancelled: nothing was changed.");
    expect(code).toBe(0);
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("rolls back when the answer is yes and ends with the command that undoes it", async () => {
    const { output, code } = await answerPrompt(["rollback", "3.1.11", "--app", "acme-web"], "y");
    expect(code).toBe(0);
    expect(output).toContain("To undo: semfly rollback 3.1.12 --app acme-web");
    const managed = emulator
      .machines("acme-web")
      .filter(
        (m) =>
          m.config?.metadata?.fly_platform_version === "v2" &&
          m.state !== "destroyed" &&
          !m.config?.metadata?.fly_process_group?.startsWith("fly_app_"),
      );
    const digests = new Set(managed.map((m) => m.image_ref?.digest));
    expect(digests.size).toBe(1);
    expect(emulator.releases("acme-web").at(-1)?.status).toBe("complete");
  });
});
