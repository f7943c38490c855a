import { describe, expect, it } from "vitest";
import { type RestReleaseJson, scenario } from "../src/index.js";
import { call, start } from "./helpers.js";

const createBody = {
  app_name: "acme-web",
  build_id: 1234,
  definition: { app: "acme-web", primary_region: "ams" },
  image: "registry.fly.io/acme-web:v3.1.11",
  strategy: "ROLLING",
};

async function create(emulator: Awaited<ReturnType<typeof start>>) {
  const res = await call<{ release: RestReleaseJson }>(emulator, "POST", "/api/v1/releases", {
    body: createBody,
  });
  expect(res.status).toBe(201);
  return res.body.release;
}

const patch = (emulator: Awaited<ReturnType<typeof start>>, id: string, body: unknown) =>
  call<RestReleaseJson | { error: string }>(emulator, "PATCH", `/api/v1/releases/${id}`, { body });

describe("release REST API", () => {
  it("creates the next release as pending, owned by the token's user", async () => {
    const emulator = await start();
    const release = await create(emulator);
    expect(release).toMatchObject({
      version: 28,
      status: "pending",
      stable: false,
      in_progress: true,
      strategy: "ROLLING",
      user: "alice@acme.test",
      image_ref: "registry.fly.io/acme-web:v3.1.11",
    });
    expect(release.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("moves pending → running → complete and then refuses a change with 422", async () => {
    const emulator = await start();
    const release = await create(emulator);
    expect((await patch(emulator, release.id, { status: "running", metadata: null })).status).toBe(
      200,
    );
    const done = await patch(emulator, release.id, {
      status: "complete",
      metadata: { post_deployment_info: { flyctl_version: "semfly", error: "" } },
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: "complete", stable: true, in_progress: false });
    const again = await patch(emulator, release.id, { status: "failed", metadata: null });
    expect(again.status).toBe(422);
    expect(JSON.stringify(again.body)).toContain("the release has already finished");
    const current = await call<RestReleaseJson>(
      emulator,
      "GET",
      "/api/v1/apps/acme-web/releases/current",
    );
    expect(current.body.version).toBe(release.version);
  });

  it("refuses transitions that skip running", async () => {
    const emulator = await start();
    const release = await create(emulator);
    expect((await patch(emulator, release.id, { status: "complete" })).status).toBe(422);
    expect((await patch(emulator, release.id, { status: "interrupted" })).status).toBe(200);
  });

  it("replaces metadata when non-null and keeps it when null", async () => {
    const emulator = await start();
    const release = await create(emulator);
    await patch(emulator, release.id, { status: "running", metadata: { a: 1, b: 2 } });
    await patch(emulator, release.id, { status: "running", metadata: null });
    expect(emulator.releases("acme-web").at(-1)?.metadata).toEqual({ a: 1, b: 2 });
    await patch(emulator, release.id, {
      status: "complete",
      metadata: { semfly: { from: "3.1.12" } },
    });
    expect(emulator.releases("acme-web").at(-1)?.metadata).toEqual({ semfly: { from: "3.1.12" } });
    // A finished release still takes metadata when its status does not change.
    expect(
      (await patch(emulator, release.id, { status: "complete", metadata: { c: 3 } })).status,
    ).toBe(200);
  });

  it("answers 404 for an unknown release and 422 for an unknown status", async () => {
    const emulator = await start();
    expect((await patch(emulator, "nope", { status: "running" })).status).toBe(404);
    const release = await create(emulator);
    expect((await patch(emulator, release.id, { status: "deployed" })).status).toBe(422);
  });

  it("refuses a create body without the required fields", async () => {
    const emulator = await start();
    const res = await call(emulator, "POST", "/api/v1/releases", {
      body: { ...createBody, image: undefined },
    });
    expect(res.status).toBe(422);
    const unknownApp = await call(emulator, "POST", "/api/v1/releases", {
      body: { ...createBody, app_name: "nope" },
    });
    expect(unknownApp.status).toBe(404);
  });

  it("lists releases newest first with a limit", async () => {
    const emulator = await start();
    const res = await call<{ releases: RestReleaseJson[] }>(
      emulator,
      "GET",
      "/api/v1/apps/acme-web/releases?limit=3",
    );
    expect(res.body.releases.map((r) => r.version)).toEqual([27, 26, 25]);
  });

  it("answers 404 for the current release of an app that has none", async () => {
    const emulator = await start({ scenario: scenario("fresh").image("1.0.0").machines(0) });
    const res = await call(emulator, "GET", "/api/v1/apps/fresh/releases/current");
    expect(res.status).toBe(404);
  });
});
