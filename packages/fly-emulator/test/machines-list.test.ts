import { describe, expect, it } from "vitest";
import { largeScenario, type MachineJson } from "../src/index.js";
import { call, start } from "./helpers.js";

describe("list machines", () => {
  it("lists every machine of the app with config, checks and events", async () => {
    const emulator = await start();
    const res = await call<MachineJson[]>(emulator, "GET", "/v1/apps/acme-web/machines");
    expect(res.status).toBe(200);
    // 4 app machines, 2 workers and a standby, an unmanaged machine; not the destroyed release command machine.
    expect(res.body).toHaveLength(8);
    expect(res.headers.get("fly-next-cursor")).toBeNull();
    const app = res.body.filter((m) => m.config?.metadata?.fly_process_group === "app");
    expect(app).toHaveLength(4);
    for (const machine of app) {
      expect(machine.checks?.every((c) => c.status === "passing")).toBe(true);
      expect(machine.image_ref.tag).toBe("deployment-01JV8Q2M3T6Y9C4B7N1K5H0R2X");
    }
  });

  it("pages with limit and the fly-next-cursor header, absent on the last page", async () => {
    const emulator = await start({ scenario: largeScenario({ releases: 40, machines: 25 }) });
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=10&cursor=${encodeURIComponent(cursor)}` : "?limit=10";
      const res = await call<MachineJson[]>(emulator, "GET", `/v1/apps/bench-app/machines${query}`);
      expect(res.status).toBe(200);
      ids.push(...res.body.map((m) => m.id));
      cursor = res.headers.get("fly-next-cursor");
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(ids).size).toBe(25);
  });

  it("answers 400 for a cursor it did not issue or that expired", async () => {
    const emulator = await start();
    expect(
      (await call(emulator, "GET", "/v1/apps/acme-web/machines?limit=2&cursor=garbage")).status,
    ).toBe(400);
    const first = await call(emulator, "GET", "/v1/apps/acme-web/machines?limit=2");
    const cursor = first.headers.get("fly-next-cursor") ?? "";
    emulator.advanceClock(31 * 60_000);
    const expired = await call(
      emulator,
      "GET",
      `/v1/apps/acme-web/machines?limit=2&cursor=${cursor}`,
    );
    expect(expired.status).toBe(400);
  });

  it("filters by region, state and metadata", async () => {
    const emulator = await start();
    const ams = await call<MachineJson[]>(emulator, "GET", "/v1/apps/acme-web/machines?region=ams");
    expect(ams.body.every((m) => m.region === "ams")).toBe(true);
    expect(ams.body).toHaveLength(5);
    const workers = await call<MachineJson[]>(
      emulator,
      "GET",
      "/v1/apps/acme-web/machines?metadata.fly_process_group=worker",
    );
    expect(workers.body).toHaveLength(3);
    const both = await call<MachineJson[]>(
      emulator,
      "GET",
      "/v1/apps/acme-web/machines?metadata.fly_process_group=app&metadata.fly_release_version=27&region=iad",
    );
    expect(both.body).toHaveLength(2);
    const stopped = await call<MachineJson[]>(
      emulator,
      "GET",
      "/v1/apps/acme-web/machines?state=stopped,suspended",
    );
    expect(stopped.body.map((m) => m.id).sort()).toEqual([
      "2b7e4c9d1a0f53",
      "6e82d3f1b0a947",
      "9080524f612387",
    ]);
  });

  it("omits config, checks and events with summary=true", async () => {
    const emulator = await start();
    const res = await call<MachineJson[]>(
      emulator,
      "GET",
      "/v1/apps/acme-web/machines?summary=true",
    );
    expect(res.body[0]?.config).toBeUndefined();
    expect(res.body[0]?.checks).toBeUndefined();
    expect(res.body[0]?.image_ref).toBeDefined();
  });
});
