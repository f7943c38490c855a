import type { Emulator } from "@semfly/fly-emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestEmulator } from "../helpers.js";
import { emulatorEnv, managedMachines, runCli, type Sandbox, sandbox } from "../reliability/cli.js";

const CHANGED_5XX = `sum(rate(fly_app_http_responses_count{app="$APP",instance=~"$MACHINES",status=~"5.."}[1m])) or vector(0)`;

let emulator: Emulator;
let box: Sandbox;
beforeEach(async () => {
  emulator = await startTestEmulator();
  box = await sandbox();
});
afterEach(async () => {
  await emulator.close();
  await box.dispose();
});

const run = (args: string[]) =>
  runCli(args, { cwd: box.cwd, env: { ...emulatorEnv(emulator, box), FLY_APP: "acme-web" } });

/** The digest 3.1.11's image has in the demo. */
function digestOf(version: string): string {
  const image = emulator
    .images("acme-web")
    .find((i) => i.labels["org.opencontainers.image.version"] === version);
  return image!.digest;
}

describe("semfly rollback with gates", () => {
  it("names its gates and bake window in the plan, and completes when they hold", async () => {
    const { code, stdout } = await run([
      "rollback",
      "3.1.11",
      "--yes",
      "--gate",
      `${CHANGED_5XX} < 1`,
      "--probe",
      `${emulator.appUrl("acme-web", "/healthz")} per-machine`,
      "--bake",
      "300ms",
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain(
      `\nGates: GET ${emulator.appUrl("acme-web", "/healthz")}; ${CHANGED_5XX} < 1, then a 300ms bake window. A failing gate reverts every changed machine.\n`,
    );
    expect(stdout).toMatch(/\nGates \(bake\): changed machines running passes/);
    expect(emulator.leases("acme-web")).toEqual([]);
  });

  it("exits 1 with the failing gate on stderr and every machine put back", async () => {
    const before = managedMachines(emulator, "acme-web").map((m) => m.image_ref?.digest);
    emulator.setImageTraffic(digestOf("3.1.11"), { errorRate: 0.5 });
    const { code, stderr } = await run([
      "rollback",
      "3.1.11",
      "--yes",
      "--gate",
      `${CHANGED_5XX} < 1`,
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^Error: Rollback of acme-web to 3\.1\.11 failed: Gate .* failed after a batch: \d+ is not < 1; every changed machine is back on 3\.1\.12\.$/m,
    );
    expect(managedMachines(emulator, "acme-web").map((m) => m.image_ref?.digest)).toEqual(before);
    expect(emulator.leases("acme-web")).toEqual([]);
  });

  it.each([
    [["--gate", "error_rate"], 'Error: The gate "error_rate" is not "QUERY <op> NUMBER".'],
    [["--probe", "/healthz"], 'Error: The probe URL "/healthz" is not a URL.'],
    [["--bake", "ten minutes"], 'Error: The bake window "ten minutes" is not a duration.'],
  ])("refuses %j before sending anything", async (flags, message) => {
    const { code, stderr } = await run(["rollback", "3.1.11", "--yes", ...flags]);
    expect(code).toBe(2);
    expect(stderr.split("\n")[0]).toBe(message);
    expect(emulator.requestLog).toEqual([]);
  });
});
