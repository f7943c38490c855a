import { describe, expect, it } from "vitest";
import { LEASE_NONCE_HEADER, type MachineJson, type RestReleaseJson } from "../src/index.js";
import { call, start } from "./helpers.js";

describe("a flyctl-style rollout", () => {
  it("rolls the app machines back to 3.1.11 within the rate limits, cold ones kept cold, and records a release", async () => {
    const emulator = await start({ rateLimits: true, bootTimeMs: 30, checkDelayMs: 30 });
    const target = "registry.fly.io/acme-web:v3.1.11";
    // flyctl records the current release's app config with the new image's release.
    const definition = emulator.releases("acme-web").at(-1)?.definition;
    expect(definition).toMatchObject({
      app: "acme-web",
      deploy: { release_command: "bin/migrate" },
    });
    const created = await call<{ release: RestReleaseJson }>(emulator, "POST", "/api/v1/releases", {
      body: { app_name: "acme-web", definition, image: target, strategy: "ROLLING" },
    });
    const release = created.body.release;
    await call(emulator, "PATCH", `/api/v1/releases/${release.id}`, {
      body: { status: "running", metadata: null },
    });

    const list = await call<MachineJson[]>(
      emulator,
      "GET",
      "/v1/apps/acme-web/machines?metadata.fly_process_group=app",
    );
    expect(list.body).toHaveLength(4);
    for (const machine of list.body) {
      const path = `/v1/apps/acme-web/machines/${machine.id}`;
      const lease = await call<{ data: { nonce: string } }>(
        emulator,
        "POST",
        `${path}/lease?ttl=13`,
      );
      const headers = { [LEASE_NONCE_HEADER]: lease.body.data.nonce };
      const config = {
        ...machine.config,
        image: target,
        metadata: {
          ...machine.config?.metadata,
          fly_release_id: release.id,
          fly_release_version: String(release.version),
        },
      };
      // flyctl's shouldSkipLaunch: only a machine that was running is started by its update.
      const cold = !["started", "starting", "failed"].includes(machine.state);
      const updated = await call<MachineJson>(emulator, "POST", path, {
        body: { config, skip_launch: cold, region: machine.region },
        headers,
      });
      expect(updated.status).toBe(200);
      const waited = await call(
        emulator,
        "GET",
        `${path}/wait?state=${cold ? "stopped" : "started"}&timeout=60&version=${updated.body.instance_id}`,
      );
      expect(waited.status).toBe(200);
      let checks: MachineJson["checks"] = [];
      while (!cold && (!checks?.length || checks.some((c) => c.status !== "passing"))) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        checks = (await call<MachineJson>(emulator, "GET", path)).body.checks;
      }
      expect((await call(emulator, "DELETE", `${path}/lease`, { headers })).status).toBe(200);
    }
    const done = await call<RestReleaseJson>(emulator, "PATCH", `/api/v1/releases/${release.id}`, {
      body: { status: "complete", metadata: { semfly: { from: "3.1.12", to: "3.1.11" } } },
    });
    expect(done.body).toMatchObject({ version: 28, status: "complete" });

    expect(emulator.counters.rateLimited).toBe(0);
    for (const machine of emulator.machines("acme-web")) {
      const group = machine.config?.metadata?.fly_process_group;
      if (group === "app") expect(machine.image_ref.tag).toBe("v3.1.11");
      if (group === "worker")
        expect(machine.image_ref.tag).toBe("deployment-01JV8Q2M3T6Y9C4B7N1K5H0R2X");
    }
    expect(emulator.machine("acme-web", "9080524f612387").state).toBe("stopped");
    expect(emulator.mutatingRequests().map((r) => r.operation)).toEqual([
      "releases.create",
      "releases.update",
      ...Array.from({ length: 4 }, () => [
        "machines.lease.acquire",
        "machines.update",
        "machines.lease.release",
      ]).flat(),
      "releases.update",
    ]);
  });
});
