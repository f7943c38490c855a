import { describe, expect, it } from "vitest";
import type { MachineJson } from "../src/index.js";
import { call, DEMO_APP_MACHINE, machinePath, start } from "./helpers.js";

describe("wait for a machine state", () => {
  it("answers at once when the machine is already in the state", async () => {
    const emulator = await start();
    const res = await call(
      emulator,
      "GET",
      machinePath(DEMO_APP_MACHINE, "/wait?state=started&timeout=5"),
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true });
  });

  it("long-polls until an update has booted the new version", async () => {
    const emulator = await start({ bootTimeMs: 150 });
    const began = Date.now();
    const updated = await call<MachineJson>(emulator, "POST", machinePath(DEMO_APP_MACHINE), {
      body: { config: { image: "registry.fly.io/acme-web:3.1.10" } },
    });
    const res = await call(
      emulator,
      "GET",
      machinePath(
        DEMO_APP_MACHINE,
        `/wait?state=started&timeout=10&version=${updated.body.instance_id}`,
      ),
    );
    expect(res.status).toBe(200);
    expect(Date.now() - began).toBeGreaterThanOrEqual(140);
    expect(emulator.machine("acme-web", DEMO_APP_MACHINE).state).toBe("started");
  });

  it("answers 408 when the state is not reached before the timeout", async () => {
    const emulator = await start();
    const began = Date.now();
    const res = await call(
      emulator,
      "GET",
      machinePath(DEMO_APP_MACHINE, "/wait?state=stopped&timeout=1"),
    );
    expect(res.status).toBe(408);
    expect(Date.now() - began).toBeGreaterThanOrEqual(950);
  });

  it("accepts several states, comma-separated, and settled", async () => {
    const emulator = await start();
    expect(
      (await call(emulator, "GET", machinePath(DEMO_APP_MACHINE, "/wait?state=stopped,started")))
        .status,
    ).toBe(200);
    expect(
      (await call(emulator, "GET", machinePath(DEMO_APP_MACHINE, "/wait?state=settled"))).status,
    ).toBe(200);
  });

  it("answers 400 for a state it does not know", async () => {
    const emulator = await start();
    const res = await call<{ error: string }>(
      emulator,
      "GET",
      machinePath(DEMO_APP_MACHINE, "/wait?state=running"),
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toContain("invalid state");
  });

  it("ends pending waits when the emulator closes", async () => {
    const emulator = await start();
    const pending = fetch(
      `${emulator.url}${machinePath(DEMO_APP_MACHINE, "/wait?state=stopped&timeout=30")}`,
      {
        headers: { authorization: `FlyV1 ${emulator.token}` },
      },
    ).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const began = Date.now();
    await emulator.close();
    await pending;
    expect(Date.now() - began).toBeLessThan(2_000);
  });
});
