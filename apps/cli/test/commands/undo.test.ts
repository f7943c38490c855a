import { type Emulator, scenario } from "@semfly/fly-emulator";
import { afterEach, describe, expect, it } from "vitest";
import { semfly, startTestEmulator } from "../helpers.js";

const APP = "undoable";
const ref = (v: string) => `registry.fly.io/${APP}:${v}`;
let emulator: Emulator;

/** 1.0.0, 1.1.0, 1.2.0 deployed; two app machines run 1.2.0, the worker 1.1.0 when `drift`. */
async function start(drift: boolean): Promise<void> {
  const builder = scenario(APP, { token: "fm2_undo_test_token_123456" })
    .image("1.0.0")
    .image("1.1.0")
    .image("1.2.0")
    .release({ image: "1.0.0" })
    .release({ image: "1.1.0" })
    .release({ image: "1.2.0" })
    .machines(2, { regions: ["ams", "iad"], release: 3 })
    .machines(1, { region: "ams", processGroup: "worker", release: drift ? 2 : 3 });
  emulator = await startTestEmulator(builder.build());
}
afterEach(() => emulator.close());

const run = (args: string[]) => semfly([...args, "--app", APP, "--no-freeze"], emulator);
const worker = () =>
  emulator.machines(APP).find((m) => m.config?.metadata?.fly_process_group === "worker")!;
const digestOf = (version: string) =>
  emulator.images(APP).find((image) => image.tag === version)!.digest;

describe("the undo hint", () => {
  it("is one rollback when every machine ran the live version before", async () => {
    await start(false);
    const { stdout, exitCode } = await run(["rollback", "1.0.0", "--yes"]);
    expect(exitCode).toBe(0);
    expect(stdout.trimEnd().split("\n").at(-1)).toBe(
      "To undo: semfly rollback 1.2.0 --app undoable",
    );
  });

  it("says per group what ran before when a group ran another version, since one rollback cannot restore it", async () => {
    await start(true);
    const workerId = worker().id;
    const { stdout, exitCode } = await run(["rollback", "1.0.0", "--yes"]);
    expect(exitCode).toBe(0);
    expect(stdout.trimEnd().split("\n").slice(-3)).toEqual([
      "To undo: semfly rollback 1.2.0 --app undoable",
      "Not an exact undo: it puts every machine on 1.2.0, but before this run these ran another version (rollback has no per-group target):",
      `  worker in ams: 1.1.0 (${digestOf("1.1.0")}) on ${workerId}`,
    ]);
  });

  it("carries the same as data in --json", async () => {
    await start(true);
    const { stdout, exitCode } = await run(["rollback", "1.0.0", "--yes", "--json"]);
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      undo: "semfly rollback 1.2.0 --app undoable",
      undoExact: false,
      undoElsewhere: [
        {
          processGroup: "worker",
          region: "ams",
          version: "1.1.0",
          digest: digestOf("1.1.0"),
          machines: [worker().id],
        },
      ],
    });
  });

  it("after a --no-revert failure, prints the exact command back, on stdout and stderr", async () => {
    await start(false);
    emulator.markImageBad(ref("1.0.0"));
    const { stdout, stderr, exitCode } = await run([
      "rollback",
      "1.0.0",
      "--yes",
      "--no-revert",
      "--strategy",
      "canary",
    ]);
    expect(exitCode).toBe(1);
    expect(stdout.trimEnd().split("\n").at(-1)).toBe(
      "To go back: semfly rollback 1.2.0 --app undoable",
    );
    expect(stderr.trimEnd().split("\n").at(-1)).toBe(
      "  See the machines above for what failed; to go back: `semfly rollback 1.2.0 --app undoable`.",
    );
    // The command it prints does go back.
    emulator.markImageBad(ref("1.0.0"), false);
    const back = await run(["rollback", "1.2.0", "--yes", "--json"]);
    expect(back.exitCode).toBe(0);
    expect(new Set(emulator.machines(APP).map((m) => m.image_ref?.digest))).toEqual(
      new Set([digestOf("1.2.0")]),
    );
  });

  it("prints no way back after a failure that put every machine back", async () => {
    await start(false);
    emulator.markImageBad(ref("1.0.0"));
    const { stdout, exitCode } = await run(["rollback", "1.0.0", "--yes", "--json"]);
    expect(exitCode).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ reverted: true, undo: null, undoExact: null });
  });
});
