import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Emulator, scenario } from "@semfly/fly-emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { semfly, startTestEmulator } from "../helpers.js";

let emulator: Emulator;
let cacheHome: string;
beforeEach(async () => {
  emulator = await startTestEmulator();
  cacheHome = await mkdtemp(join(tmpdir(), "semfly-rollbackable-"));
});
afterEach(async () => {
  await emulator.close();
  await rm(cacheHome, { recursive: true, force: true });
});

const run = (args: string[], env: Record<string, string | undefined> = {}) =>
  semfly(args, emulator, { env: { XDG_CACHE_HOME: cacheHome, ...env } });
const registryRequests = () => emulator.requestLog.filter((e) => e.path.startsWith("/oci/"));
const markers = (stdout: string) =>
  Object.fromEntries(
    (JSON.parse(stdout) as { version: string; rollbackable: Record<string, unknown> }[]).map(
      (v) => [v.version, v.rollbackable],
    ),
  );

describe("semfly versions: can each version still be restored", () => {
  it("marks each version restorable, from a machine that references it or from the registry", async () => {
    const { stdout, stderr, exitCode } = await run(["versions"]);
    expect(exitCode).toBe(0);
    expect(stderr).toBe("");
    expect(stdout.split("\n").slice(0, 5)).toEqual([
      "   VERSION  STATUS      RELEASES  MACHINES  DIGEST               IMAGE                DEPLOYED  BY",
      "*  3.1.12   live        v23-v27   7         sha256:ed5c6ce26bc7  restorable           27d ago   carol@acme.test",
      "   3.1.11   previous    v18-v22   -         sha256:98059fbd9b6f  restorable just now  2mo ago   alice@acme.test",
      "   3.1.10   superseded  v17       -         sha256:27c9063065c4  restorable           2mo ago   alice@acme.test",
      "   3.1.9    superseded  v3-v16    -         sha256:185146e67783  restorable just now  5mo ago   alice@acme.test",
    ]);
  });

  it("keeps the registry's answers by digest with their time, so the next run asks nobody", async () => {
    const first = await run(["versions", "--json"]);
    expect(markers(first.stdout)["3.1.11"]).toEqual({
      state: "restorable",
      source: "registry",
      checkedAt: "2025-06-11T12:00:00.000Z",
      cached: false,
      detail: expect.stringContaining("registry.fly.io has sha256:98059fbd9b6f"),
    });
    expect(await readdir(join(cacheHome, "semfly", "images"))).toHaveLength(1);

    emulator.clearRequestLog();
    // Three hours later the answer is still good: shown with its age, and the registry is not asked.
    const later = await run(["versions"], { SEMFLY_NOW: "2025-06-11T15:00:00Z" });
    expect(later.stdout).toContain(
      "   3.1.11   previous    v18-v22   -         sha256:98059fbd9b6f  restorable 3h ago",
    );
    expect(registryRequests()).toEqual([]);
    const json = await run(["versions", "--json"], { SEMFLY_NOW: "2025-06-11T15:00:00Z" });
    expect(markers(json.stdout)["3.1.11"]).toMatchObject({
      cached: true,
      checkedAt: "2025-06-11T12:00:00.000Z",
    });
  });

  it("asks again once a kept answer is older than a day, and sees an image pruned since", async () => {
    await run(["versions", "--json"]);
    const image = emulator.images("acme-web").find((i) => i.tag === "v3.1.11");
    expect(image).toBeDefined();
    emulator.registry.prune(`registry.fly.io/acme-web@${image!.digest}`);
    // Within the day the kept answer stands (the rollback itself checks again before changing anything).
    const sameDay = await run(["versions", "--json"], { SEMFLY_NOW: "2025-06-11T20:00:00Z" });
    expect(markers(sameDay.stdout)["3.1.11"]).toMatchObject({ state: "restorable", cached: true });
    const nextDay = await run(["versions"], { SEMFLY_NOW: "2025-06-12T13:00:00Z" });
    expect(nextDay.stdout.split("\n")[2]).toBe(
      "   3.1.11   previous    v18-v22   -         sha256:98059fbd9b6f  image gone just now  2mo ago   alice@acme.test",
    );
    const json = await run(["versions", "--json"], { SEMFLY_NOW: "2025-06-12T13:00:00Z" });
    expect(markers(json.stdout)["3.1.11"]).toMatchObject({
      state: "image-gone",
      source: "registry",
    });
  });

  it("says unknown when nobody can answer, and never keeps an unknown", async () => {
    // The registry unreachable and Fly's app.image failing: nobody can say whether 3.1.11 still exists.
    emulator.setFaults({
      rules: [
        {
          service: "graphql",
          operation: "SemflyResolveImage",
          action: { type: "status", status: 500 },
        },
      ],
    });
    const env = { SEMFLY_REGISTRY_URL: "http://127.0.0.1:9/oci" };
    const { stdout, exitCode } = await run(["versions"], env);
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/^\* {2}3\.1\.12 .* restorable {2}/m);
    expect(stdout).toMatch(/^ {3}3\.1\.11 .* unknown {2}/m);
    expect(stdout).toMatch(/^Image unknown for 3\.1\.11, 3\.1\.9: registry: .*app\.image/m);
    const json = await run(["versions", "--json"], env);
    expect(markers(json.stdout)["3.1.11"]).toMatchObject({
      state: "unknown",
      source: null,
      cached: false,
    });
    const kept = await readdir(join(cacheHome, "semfly", "images")).catch(() => []);
    expect(kept).toEqual([]);
  });

  it("asks nobody with --no-image-check, still showing what machines and the cache know", async () => {
    emulator.clearRequestLog();
    const skipped = await run(["versions", "--no-image-check", "--json"]);
    expect(registryRequests()).toEqual([]);
    expect(markers(skipped.stdout)).toMatchObject({
      "3.1.12": { state: "restorable", source: "machines" },
      "3.1.11": {
        state: "not-checked",
        detail: "image check skipped (--no-image-check)",
        unasked: "off",
      },
    });
    await run(["versions", "--json"]);
    const again = await run(["versions", "--no-image-check", "--json"]);
    expect(markers(again.stdout)["3.1.11"]).toMatchObject({ state: "restorable", cached: true });
  });

  it("asks about at most 20 versions, 4 at a time, and says how many it left out", async () => {
    let app = scenario("many-versions");
    for (let patch = 0; patch < 24; patch++) {
      const version = `1.0.${patch}`;
      app = app
        .image(version, { tag: version, labels: { "org.opencontainers.image.version": version } })
        .release({ image: version });
    }
    const own = await startTestEmulator(app.machines(1).build());
    try {
      const result = await semfly(["versions", "--app", "many-versions", "--json"], own, {
        env: { XDG_CACHE_HOME: cacheHome },
      });
      const byState = (JSON.parse(result.stdout) as { rollbackable: { state: string } }[]).map(
        (v) => v.rollbackable.state,
      );
      // 1.0.23 runs on the machine; 20 of the other 23 are asked about, the 3 oldest are not.
      expect(byState.filter((s) => s === "restorable")).toHaveLength(21);
      expect(byState.slice(-3)).toEqual(["not-checked", "not-checked", "not-checked"]);
      const heads = own.requestLog.filter((e) => e.path.startsWith("/oci/") && e.method === "HEAD");
      expect(heads).toHaveLength(20);
      const text = await semfly(["versions", "--app", "many-versions"], own, {
        env: { XDG_CACHE_HOME: cacheHome },
      });
      expect(text.stdout).toContain(
        "Image not checked for 3 older versions (-): at most 20 versions are checked (each major.minor line's newest first, then the newest others).",
      );
    } finally {
      await own.close();
    }
  });
});
