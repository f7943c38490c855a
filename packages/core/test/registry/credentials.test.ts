import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Emulator, loadScenario, startEmulator } from "@semfly/fly-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRegistryClient, dockerCredentials, type SemflyError } from "../../src/index.js";

/** A password whose standard base64 (`alice:<password>`) holds both `+` and `/`, so the alphabets differ. */
const PASSWORD = "gh-s3cret>>>???";
const standard = Buffer.from(`alice:${PASSWORD}`).toString("base64");
const urlSafe = standard.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const PRIVATE = "ghcr.io/acme/api:3.2.0";

let emulator: Emulator;
let dir: string;

beforeAll(async () => {
  const scenario = await loadScenario("demo");
  scenario.registries = [
    {
      host: "ghcr.io",
      credentials: [{ username: "alice", password: PASSWORD }],
      images: [
        { ref: PRIVATE, private: true, labels: { "org.opencontainers.image.version": "3.2.0" } },
      ],
    },
  ];
  emulator = await startEmulator({ scenario, rateLimits: false });
  dir = await mkdtemp(join(tmpdir(), "semfly-docker-config-"));
});
afterAll(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

async function dockerConfig(name: string, config: unknown): Promise<string> {
  const configDir = join(dir, name);
  await mkdir(configDir, { recursive: true });
  await writeFile(join(configDir, "config.json"), JSON.stringify(config));
  return configDir;
}

function client(env: Record<string, string | undefined>, debug?: (line: string) => void) {
  return createRegistryClient({
    flyToken: `FlyV1 ${emulator.token}`,
    baseUrl: emulator.env.SEMFLY_REGISTRY_URL,
    dockerConfig: { env },
    debug,
  });
}

describe("credentials from ~/.docker/config.json", () => {
  it("reads `auths` in standard and URL-safe base64 and pulls a private image with them", async () => {
    expect(standard).toMatch(/[+/]/);
    for (const [name, auth] of [
      ["standard", standard],
      ["url-safe", urlSafe],
    ] as const) {
      const DOCKER_CONFIG = await dockerConfig(name, { auths: { "https://ghcr.io": { auth } } });
      expect(await dockerCredentials("ghcr.io", { env: { DOCKER_CONFIG } })).toEqual({
        kind: "basic",
        username: "alice",
        password: PASSWORD,
      });
      expect(await client({ DOCKER_CONFIG }).resolve(PRIVATE)).toMatchObject({ status: "found" });
    }
  });

  it("cannot see a private image without credentials, and says why", async () => {
    const DOCKER_CONFIG = await dockerConfig("empty", {});
    const answer = await client({ DOCKER_CONFIG }).resolve(PRIVATE);
    expect(answer).toEqual({
      status: "unreachable",
      reason: "ghcr.io wants credentials for acme/api (HTTP 401)",
    });
  });

  it("runs a credential helper as docker does: `get`, the server URL on stdin, JSON on stdout", async () => {
    const bin = join(dir, "bin");
    await mkdir(bin, { recursive: true });
    const helper = join(bin, "docker-credential-semflytest");
    // Answers only for exactly the key docker would send for GHCR.
    await writeFile(
      helper,
      `#!/bin/sh
read -r server
if [ "$1" = "get" ] && [ "$server" = "ghcr.io" ]; then
  printf '{"ServerURL":"ghcr.io","Username":"alice","Secret":"%s"}' '${PASSWORD}'
else
  echo "credentials not found in native keychain"
  exit 1
fi
`,
    );
    await chmod(helper, 0o755);
    const DOCKER_CONFIG = await dockerConfig("helper", {
      credHelpers: { "ghcr.io": "semflytest" },
    });
    const env = { DOCKER_CONFIG, PATH: `${bin}:${process.env.PATH ?? ""}` };
    expect(await client(env).resolve(PRIVATE)).toMatchObject({ status: "found" });
    // credsStore serves every registry; for Docker Hub it is asked about docker's own key and has nothing.
    const store = await dockerConfig("store", { credsStore: "semflytest" });
    expect(
      await dockerCredentials("registry-1.docker.io", {
        env: { DOCKER_CONFIG: store, PATH: env.PATH },
      }),
    ).toBeNull();
  });
});

describe("secrets", () => {
  it("never puts the Fly token, a registry password or a bearer token in debug lines or errors", async () => {
    const lines: string[] = [];
    const DOCKER_CONFIG = await dockerConfig("secrets", {
      auths: { "ghcr.io": { auth: standard } },
    });
    const registry = client({ DOCKER_CONFIG }, (line) => lines.push(line));
    const [flyImage] = emulator.images("acme-web");
    await registry.checkDigest(`registry.fly.io/acme-web@${flyImage?.digest}`, flyImage!.digest);
    const resolved = await registry.resolve(PRIVATE);
    const digest = resolved.status === "found" ? resolved.digest : "";
    expect(await registry.labelsForDigest(PRIVATE, digest)).toEqual({
      "org.opencontainers.image.version": "3.2.0",
    });
    const wrong = await dockerConfig("wrong", {
      auths: { "ghcr.io": { auth: Buffer.from("alice:wrong-password-123").toString("base64") } },
    });
    const refused = await client({ DOCKER_CONFIG: wrong }, (line) => lines.push(line)).resolve(
      PRIVATE,
    );
    expect(refused).toEqual({
      status: "unreachable",
      reason: "ghcr.io refused the credentials for acme/api (HTTP 401)",
    });
    const copyError = (await client({ DOCKER_CONFIG: wrong })
      .copyImage(PRIVATE, "registry.fly.io/acme-web:3.2.0")
      .catch((e: unknown) => e)) as SemflyError;
    const said = [
      ...lines,
      JSON.stringify(refused),
      copyError.message,
      copyError.suggestion ?? "",
    ].join("\n");
    expect(lines.length).toBeGreaterThan(3);
    for (const secret of [
      emulator.token,
      PASSWORD,
      "wrong-password-123",
      standard,
      Buffer.from(`x:${emulator.token}`).toString("base64"),
    ]) {
      expect(said).not.toContain(secret);
    }
    expect(said).not.toMatch(/emu_[0-9a-f]{8}/);
  });
});
