import { describe, expect, it } from "vitest";
import type { Scenario } from "../src/index.js";
import { call, gql, start } from "./helpers.js";

const scenario: Scenario = {
  apps: [
    {
      name: "vol-app",
      organization: { slug: "acme" },
      images: [{ ref: "registry.fly.io/vol-app:1.0.0" }],
      releases: [{ version: 1, image: "registry.fly.io/vol-app:1.0.0" }],
      secrets: [{ name: "DATABASE_URL", value: "postgres://x", createdAt: "2025-01-01T00:00:00Z" }],
      volumes: [
        { id: "vol_a", name: "data", region: "ams" },
        { id: "vol_b", name: "spare", region: "ams" },
      ],
      machines: [
        { id: "m1", region: "ams", config: { mounts: [{ volume: "vol_a", path: "/data" }] } },
      ],
    },
  ],
};

describe("App.secrets", () => {
  it("lists names, digests and times, never values, and a new value gets a new digest", async () => {
    const emulator = await start({ scenario });
    const query = `query { app(name: "vol-app") { secrets { name digest createdAt } } }`;
    const before = await gql<{ app: { secrets: { name: string; digest: string }[] } }>(
      emulator,
      query,
    );
    expect(before.data?.app.secrets).toEqual([
      { name: "DATABASE_URL", digest: expect.any(String), createdAt: "2025-01-01T00:00:00Z" },
    ]);
    expect(JSON.stringify(before.data)).not.toContain("postgres://x");
    emulator.setSecret("vol-app", "DATABASE_URL", "postgres://y");
    const after = await gql<{ app: { secrets: { digest: string }[] } }>(emulator, query);
    expect(after.data?.app.secrets[0]?.digest).not.toBe(before.data?.app.secrets[0]?.digest);
  });
});

describe("volumes and snapshots", () => {
  it("attaches a volume to the machine whose config mounts it", async () => {
    const emulator = await start({ scenario });
    const volumes = await call<{ id: string; attached_machine_id: string }[]>(
      emulator,
      "GET",
      "/v1/apps/vol-app/volumes",
    );
    expect(volumes.body.map((v) => [v.id, v.attached_machine_id])).toEqual([
      ["vol_a", "m1"],
      ["vol_b", ""],
    ]);
  });

  it("answers a snapshot with an empty 200, lists it creating, then created", async () => {
    const emulator = await start({ scenario });
    const created = await call(emulator, "POST", "/v1/apps/vol-app/volumes/vol_a/snapshots");
    expect(created).toMatchObject({ status: 200, body: null });
    const listed = await call<{ status: string }[]>(
      emulator,
      "GET",
      "/v1/apps/vol-app/volumes/vol_a/snapshots",
    );
    expect(listed.body.map((s) => s.status)).toEqual(["creating"]);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(emulator.volumeSnapshots("vol-app", "vol_a").map((s) => s.status)).toEqual(["created"]);
    expect((await call(emulator, "POST", "/v1/apps/vol-app/volumes/nope/snapshots")).status).toBe(
      404,
    );
  });
});

describe("machine create", () => {
  it("creates a machine with the config sent, unstarted with skip_launch, and no Fly Launch metadata added", async () => {
    const emulator = await start({ scenario });
    const res = await call<{
      id: string;
      state: string;
      config: { metadata: Record<string, string> };
    }>(emulator, "POST", "/v1/apps/vol-app/machines", {
      body: {
        config: { image: "registry.fly.io/vol-app:1.0.0", metadata: { keep: "1.0.0" } },
        region: "ams",
        name: "kept",
        skip_launch: true,
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.state).toBe("created");
    expect(res.body.config.metadata).toEqual({ keep: "1.0.0" });
    expect(emulator.machines("vol-app").map((m) => m.name)).toContain("kept");
  });

  it("refuses an image the registry does not have", async () => {
    const emulator = await start({ scenario });
    const res = await call(emulator, "POST", "/v1/apps/vol-app/machines", {
      body: { config: { image: "registry.fly.io/vol-app:gone" } },
    });
    expect(res.status).toBe(400);
  });
});

describe("the registry is per organisation", () => {
  const twoOrgs: Scenario = {
    apps: [
      { ...scenario.apps[0]!, name: "a-app" },
      {
        name: "b-app",
        organization: { slug: "beta" },
        images: [{ ref: "registry.fly.io/b-app:2.0.0" }],
        releases: [{ version: 1, image: "registry.fly.io/b-app:2.0.0" }],
      },
      {
        name: "a-staging",
        organization: { slug: "acme" },
        images: [{ ref: "registry.fly.io/a-staging:3.0.0" }],
      },
    ],
  };

  it("runs another app's image only in an app of the same organisation", async () => {
    const emulator = await start({ scenario: twoOrgs });
    const update = (image: string) =>
      call(emulator, "POST", "/v1/apps/a-app/machines/m1", { body: { config: { image } } });
    expect((await update("registry.fly.io/b-app:2.0.0")).status).toBe(400);
    expect((await update("registry.fly.io/a-staging:3.0.0")).status).toBe(200);
    const image = (ref: string) =>
      gql<{ app: { image: { ref: string } | null } }>(
        emulator,
        'query($ref: String!) { app(name: "a-app") { image(ref: $ref) { ref } } }',
        { ref },
      );
    expect((await image("registry.fly.io/b-app:2.0.0")).data?.app.image).toBeNull();
    expect((await image("registry.fly.io/a-staging:3.0.0")).data?.app.image).toEqual({
      ref: "registry.fly.io/a-staging:3.0.0",
    });
  });
});
