import { describe, expect, it } from "vitest";
import { LEASE_NONCE_HEADER } from "../src/index.js";
import { call, DEMO_APP_MACHINE, machinePath, start } from "./helpers.js";

interface LeaseBody {
  status: string;
  data: { nonce: string; expires_at: number; owner: string; description: string; version: string };
}

const updateBody = {
  config: { image: "registry.fly.io/acme-web:deployment-01JV8Q2M3T6Y9C4B7N1K5H0R2X" },
};

describe("machine leases", () => {
  it("grants a lease with 201 and the documented body shape", async () => {
    const emulator = await start();
    const res = await call<LeaseBody>(emulator, "POST", machinePath(DEMO_APP_MACHINE, "/lease"), {
      body: { ttl: 30, description: "semfly rollout" },
    });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe("success");
    expect(res.body.data).toMatchObject({
      owner: "alice@acme.test",
      description: "semfly rollout",
    });
    expect(res.body.data.nonce).toMatch(/^[0-9a-f]{12}$/);
    expect(res.body.data.expires_at).toBeGreaterThan(Date.now() / 1000);
    const got = await call<LeaseBody>(emulator, "GET", machinePath(DEMO_APP_MACHINE, "/lease"));
    expect(got.status).toBe(200);
    expect(got.body.data.nonce).toBe(res.body.data.nonce);
  });

  it("accepts the ttl as a query parameter with no body (as fly-go sends it)", async () => {
    const emulator = await start();
    const res = await call<LeaseBody>(
      emulator,
      "POST",
      machinePath(DEMO_APP_MACHINE, "/lease?ttl=13"),
    );
    expect(res.status).toBe(201);
    expect(res.body.data.expires_at - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(13);
  });

  it("refuses a second lease with 409 while someone else holds one", async () => {
    const emulator = await start();
    emulator.holdLease("acme-web", DEMO_APP_MACHINE, { owner: "bob@acme.test" });
    const res = await call<{ error: string }>(
      emulator,
      "POST",
      machinePath(DEMO_APP_MACHINE, "/lease"),
      {
        body: { ttl: 30 },
      },
    );
    expect(res.status).toBe(409);
    expect(res.body.error).toContain("bob@acme.test");
  });

  it("refuses mutations on a leased machine without the right nonce", async () => {
    const emulator = await start();
    const lease = await call<LeaseBody>(emulator, "POST", machinePath(DEMO_APP_MACHINE, "/lease"), {
      body: { ttl: 30 },
    });
    const nonce = lease.body.data.nonce;
    for (const [method, suffix, body] of [
      ["POST", "", updateBody],
      ["POST", "/start", undefined],
      ["POST", "/stop", undefined],
      ["POST", "/metadata/semfly", { value: "1" }],
      ["DELETE", "/metadata/semfly", undefined],
      ["PATCH", "/metadata", { metadata: { semfly: "1" } }],
    ] as const) {
      const missing = await call(emulator, method, machinePath(DEMO_APP_MACHINE, suffix), { body });
      expect(missing.status, `${method} ${suffix} without nonce`).toBe(409);
      const wrong = await call(emulator, method, machinePath(DEMO_APP_MACHINE, suffix), {
        body,
        headers: { [LEASE_NONCE_HEADER]: "000000000000" },
      });
      expect(wrong.status, `${method} ${suffix} with a wrong nonce`).toBe(409);
    }
    const ok = await call(emulator, "POST", machinePath(DEMO_APP_MACHINE), {
      body: updateBody,
      headers: { [LEASE_NONCE_HEADER]: nonce },
    });
    expect(ok.status).toBe(200);
  });

  it("refreshes a lease with the nonce header and releases it with the documented body", async () => {
    const emulator = await start();
    const first = await call<LeaseBody>(emulator, "POST", machinePath(DEMO_APP_MACHINE, "/lease"), {
      body: { ttl: 10 },
    });
    const nonce = first.body.data.nonce;
    emulator.advanceClock(5_000);
    const refreshed = await call<LeaseBody>(
      emulator,
      "POST",
      machinePath(DEMO_APP_MACHINE, "/lease"),
      {
        body: { ttl: 60 },
        headers: { [LEASE_NONCE_HEADER]: nonce },
      },
    );
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.data.nonce).toBe(nonce);
    expect(refreshed.body.data.expires_at).toBeGreaterThan(first.body.data.expires_at);

    const withoutNonce = await call(emulator, "DELETE", machinePath(DEMO_APP_MACHINE, "/lease"));
    expect(withoutNonce.status).toBe(409);
    const released = await call(emulator, "DELETE", machinePath(DEMO_APP_MACHINE, "/lease"), {
      headers: { [LEASE_NONCE_HEADER]: nonce },
    });
    expect(released.status).toBe(200);
    expect(released.body).toEqual({ status: "success", data: { ok: true } });
    expect(emulator.leases("acme-web")).toEqual([]);
    expect((await call(emulator, "GET", machinePath(DEMO_APP_MACHINE, "/lease"))).status).toBe(404);
  });

  it("lets a lease expire after its ttl", async () => {
    const emulator = await start();
    emulator.holdLease("acme-web", DEMO_APP_MACHINE, { owner: "bob@acme.test", ttlSeconds: 10 });
    expect((await call(emulator, "POST", machinePath(DEMO_APP_MACHINE, "/start"))).status).toBe(
      409,
    );
    emulator.advanceClock(10_001);
    expect(emulator.leases()).toEqual([]);
    const res = await call<LeaseBody>(emulator, "POST", machinePath(DEMO_APP_MACHINE, "/lease"), {
      body: { ttl: 30 },
    });
    expect(res.status).toBe(201);
    expect(res.body.data.owner).toBe("alice@acme.test");
  });

  it("answers 400 for a ttl that is not a positive whole number", async () => {
    const emulator = await start();
    const res = await call(emulator, "POST", machinePath(DEMO_APP_MACHINE, "/lease"), {
      body: { ttl: -1 },
    });
    expect(res.status).toBe(400);
  });

  it("shows the lease on the machine with include_leases", async () => {
    const emulator = await start();
    emulator.holdLease("acme-web", DEMO_APP_MACHINE, { owner: "bob@acme.test" });
    const res = await call<{ lease?: { owner: string } }>(
      emulator,
      "GET",
      machinePath(DEMO_APP_MACHINE, "?include_leases=true"),
    );
    expect(res.body.lease?.owner).toBe("bob@acme.test");
    const plain = await call<{ lease?: unknown }>(emulator, "GET", machinePath(DEMO_APP_MACHINE));
    expect(plain.body.lease).toBeUndefined();
  });
});
