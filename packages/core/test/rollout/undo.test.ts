import { type Emulator, scenario, startEmulator } from "@semfly/fly-emulator";
import { afterEach, describe, expect, it } from "vitest";
import {
  createFlyClient,
  executeRollout,
  type FlyClient,
  prepareRollback,
} from "../../src/index.js";
import { FAST_TIMING } from "./world.js";

const APP = "undoable";
let emulator: Emulator;
let client: FlyClient;

/** 1.0.0, 1.1.0, 1.2.0 deployed; two app machines run 1.2.0, and the worker (`drift`) still 1.1.0. */
async function start(drift: boolean): Promise<void> {
  const builder = scenario(APP)
    .image("1.0.0")
    .image("1.1.0")
    .image("1.2.0")
    .release({ image: "1.0.0" })
    .release({ image: "1.1.0" })
    .release({ image: "1.2.0" })
    .machines(2, { regions: ["ams", "iad"], release: 3 })
    .machines(1, { region: "ams", processGroup: "worker", release: drift ? 2 : 3 });
  emulator = await startEmulator({ scenario: builder, bootTimeMs: 10, checkDelayMs: 10 });
  client = createFlyClient({
    token: emulator.token,
    apiBaseUrl: emulator.url,
    flapsBaseUrl: emulator.url,
    uiexBaseUrl: emulator.url,
  });
}
afterEach(() => emulator.close());

const workerId = () =>
  emulator.machines(APP).find((m) => m.config?.metadata?.fly_process_group === "worker")!.id;

async function rollback(target: string, options: { revert?: boolean } = {}) {
  const { plan } = await prepareRollback(client, APP, {
    target: { spec: target },
    strategy: "canary",
  });
  return executeRollout(client, plan, { timing: FAST_TIMING, ...options });
}

describe("the undo of a rollout", () => {
  it("is exact when every machine ran the live version before", async () => {
    await start(false);
    const result = await rollback("1.0.0");
    expect(result.status).toBe("complete");
    expect(result.undoTarget?.version).toBe("1.2.0");
    expect(result.undo).toEqual({ target: result.undoTarget, exact: true, elsewhere: [] });
  });

  it("names the group that ran another version before, which one rollback cannot give back", async () => {
    await start(true);
    const result = await rollback("1.0.0");
    expect(result.status).toBe("complete");
    expect(result.undoTarget?.version).toBe("1.2.0");
    expect(result.undo?.exact).toBe(false);
    expect(result.undo?.elsewhere).toEqual([
      {
        processGroup: "worker",
        region: "ams",
        from: expect.objectContaining({ version: "1.1.0" }),
        machineIds: [workerId()],
      },
    ]);
  });

  it("of a drifted app rolled back to its live version, goes back to what the moved machines ran", async () => {
    await start(true);
    const result = await rollback("1.2.0");
    expect(result.status).toBe("complete");
    expect(result.machines.filter((m) => m.result === "updated").map((m) => m.id)).toEqual([
      workerId(),
    ]);
    // Not `rollback 1.2.0` again: the worker ran 1.1.0, and one rollback to it would move the others too.
    expect(result.undoTarget?.version).toBe("1.1.0");
    expect(result.undo?.exact).toBe(false);
  });

  it("counts a machine the run skipped as already on the target: the way back would move it too", async () => {
    await start(true);
    const result = await rollback("1.1.0");
    expect(result.machines.find((m) => m.id === workerId())?.result).toBe("skipped");
    expect(result.undo?.elsewhere.map((g) => [g.processGroup, g.from?.version])).toEqual([
      ["worker", "1.1.0"],
    ]);
  });

  it("after a --no-revert failure, is the way back to what ran before", async () => {
    await start(false);
    emulator.markImageBad("registry.fly.io/undoable:1.0.0");
    const result = await rollback("1.0.0", { revert: false });
    expect(result.status).toBe("failed");
    expect(result.reverted).toBe(false);
    expect(result.undoTarget?.version).toBe("1.2.0");
    expect(result.undo?.exact).toBe(true);
  });

  it("is nothing after a failure that put every machine back", async () => {
    await start(false);
    emulator.markImageBad("registry.fly.io/undoable:1.0.0");
    const result = await rollback("1.0.0");
    expect(result.status).toBe("failed");
    expect(result.reverted).toBe(true);
    expect(result.undoTarget).toBeNull();
    expect(result.undo).toBeNull();
  });
});
