import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Emulator } from "@semfly/fly-emulator";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { demoScenario, SECRET_TOKEN, semfly, startTestEmulator } from "../helpers.js";

const PRIVATE = "ghcr.io/acme/web:3.2.0";
const PASSWORD = "ghcr-cli-pass-77";
const outage = {
  rules: [
    { service: "registry" as const, action: { type: "status" as const, status: 503 as const } },
    {
      operation: "SemflyResolveImage",
      action: { type: "status" as const, status: 503 as const },
    },
  ],
};

let emulator: Emulator;
let dockerConfig: string;
beforeAll(async () => {
  dockerConfig = await mkdtemp(join(tmpdir(), "semfly-cli-docker-"));
  const auth = Buffer.from(`alice:${PASSWORD}`).toString("base64");
  await writeFile(
    join(dockerConfig, "config.json"),
    JSON.stringify({ auths: { "ghcr.io": { auth } } }),
  );
});
afterAll(async () => {
  await rm(dockerConfig, { recursive: true, force: true });
});
beforeEach(async () => {
  const scenario = await demoScenario();
  scenario.registries = [
    {
      host: "ghcr.io",
      credentials: [{ username: "alice", password: PASSWORD }],
      images: [{ ref: PRIVATE, private: true }],
    },
  ];
  emulator = await startTestEmulator(scenario);
});
afterEach(async () => {
  await emulator.close();
});

const env = () => ({ DOCKER_CONFIG: dockerConfig, FLY_API_TOKEN: SECRET_TOKEN });

describe("semfly rollback: the image check", () => {
  it("refuses when nobody can say whether the image exists, and goes ahead with --skip-image-check", async () => {
    emulator.setFaults(outage);
    const refused = await semfly(["rollback", "3.1.11", "--yes"], emulator, { env: env() });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(
      /^Error: Nobody could say whether the image of 3\.1\.11 \(registry\.fly\.io\/acme-web@sha256:[0-9a-f]{64}\) still exists: registry: registry\.fly\.io answered HTTP 503; /,
    );
    expect(refused.stderr).toContain("pass --skip-image-check to go ahead anyway");
    expect(emulator.mutatingRequests()).toEqual([]);

    const skipped = await semfly(["rollback", "3.1.11", "--yes", "--skip-image-check"], emulator, {
      env: env(),
    });
    expect(skipped.exitCode).toBe(0);
    expect(skipped.stdout).toContain("Image check skipped (--skip-image-check): nobody could say");
    const release = emulator.releases("acme-web").at(-1);
    expect(release?.metadata).toMatchObject({
      semfly: { version: "3.1.11", imageCheck: { outcome: "unknown", skipped: true } },
    });
  });

  it("shows the outcome of a dry run's check, an unknown skipped included", async () => {
    const exists = await semfly(["rollback", "3.1.11", "--dry-run"], emulator, { env: env() });
    expect(exists.stdout).toMatch(
      /\nImage check: exists \(registry\.fly\.io has sha256:[0-9a-f]{64}\)\n/,
    );
    emulator.setFaults(outage);
    const unknown = await semfly(
      ["rollback", "3.1.11", "--dry-run", "--skip-image-check"],
      emulator,
      {
        env: env(),
      },
    );
    expect(unknown.exitCode).toBe(0);
    expect(unknown.stdout).toContain(
      "\nImage check: unknown, skipped with --skip-image-check (registry: registry.fly.io answered HTTP 503; ",
    );
    expect(unknown.stderr).toMatch(/^Warning: Image check skipped \(--skip-image-check\)/);
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("never prints the token, in --verbose lines or in errors", async () => {
    emulator.setFaults(outage);
    const run = await semfly(["rollback", "3.1.11", "--yes", "--verbose"], emulator, {
      env: env(),
    });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("semfly:http HEAD ");
    const said = run.stdout + run.stderr;
    for (const secret of [
      SECRET_TOKEN,
      Buffer.from(`x:${SECRET_TOKEN}`).toString("base64"),
      PASSWORD,
    ]) {
      expect(said).not.toContain(secret);
    }
  });
});

describe("semfly deploy: images in other registries", () => {
  it("refuses a private image elsewhere with what to do", async () => {
    const { stderr, exitCode } = await semfly(
      ["deploy", "3.2.0", "--image", PRIVATE, "--yes"],
      emulator,
      {
        env: env(),
      },
    );
    expect(exitCode).toBe(2);
    expect(stderr).toBe(
      [
        "Error: ghcr.io/acme/web:3.2.0 is private to ghcr.io: Fly machines cannot pull it (they get no credentials for other registries).",
        "  Push it to registry.fly.io/acme-web: `semfly deploy 3.2.0 --image ghcr.io/acme/web:3.2.0 --push` copies it there (as `fly deploy --local-only` would push it).",
        "",
      ].join("\n"),
    );
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("copies it to registry.fly.io/<app> with --push and deploys it", async () => {
    const { stdout, exitCode } = await semfly(
      ["deploy", "3.2.0", "--image", PRIVATE, "--push", "--yes", "--json"],
      emulator,
      { env: env() },
    );
    expect(exitCode).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ to: "3.2.0", status: "complete" });
    expect(result.image).toMatch(/^registry\.fly\.io\/acme-web@sha256:/);
    expect(
      emulator.images("acme-web").some((i) => i.ref === "registry.fly.io/acme-web:3.2.0"),
    ).toBe(true);
  });
});
