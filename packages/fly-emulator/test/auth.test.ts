import { describe, expect, it } from "vitest";
import { call, DEMO_APP_MACHINE, machinePath, start } from "./helpers.js";

describe("authentication", () => {
  it("answers 401 with Fly's body without a token or with a wrong one", async () => {
    const emulator = await start();
    for (const auth of [null, "Bearer nope", "FlyV1 fm2_nope", "Basic Zm9v"]) {
      const res = await call(emulator, "GET", machinePath(DEMO_APP_MACHINE), { auth });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: "Authenticate: token validation error" });
      expect(res.headers.get("fly-request-id")).toBeTruthy();
    }
    const rest = await call(emulator, "GET", "/api/v1/apps/acme-web/releases", { auth: null });
    expect(rest.status).toBe(401);
  });

  it("accepts Bearer and FlyV1 schemes and comma-separated token lists", async () => {
    const emulator = await start();
    for (const auth of [
      `Bearer ${emulator.token}`,
      `FlyV1 ${emulator.token}`,
      `flyv1 fm2_other,${emulator.token}`,
      `Bearer ${emulator.token}, oauth-user-token`,
    ]) {
      expect((await call(emulator, "GET", machinePath(DEMO_APP_MACHINE), { auth })).status).toBe(
        200,
      );
    }
  });

  it("exposes an env that points clients at the emulator", async () => {
    const emulator = await start();
    expect(emulator.env).toEqual({
      FLY_API_BASE_URL: emulator.url,
      FLY_FLAPS_BASE_URL: emulator.url,
      FLY_UIEX_BASE_URL: emulator.url,
      FLY_METRICS_BASE_URL: emulator.url,
      FLY_API_TOKEN: "fm2_demo_token_not_secret",
      FLY_APP: "acme-web",
      SEMFLY_REGISTRY_URL: `${emulator.url}/oci`,
    });
    expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
