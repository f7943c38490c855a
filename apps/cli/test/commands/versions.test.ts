import type { Emulator } from "@semfly/fly-emulator";
import { scenario } from "@semfly/fly-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { semfly, startTestEmulator } from "../helpers.js";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator.close();
});

const DIGEST = {
  "3.1.12": "sha256:ed5c6ce26bc7cf3f7a197ee6cae6d63aa415b2de67a05678aec46d67a0369979",
  "3.1.11": "sha256:98059fbd9b6f5e5580e59b3cee8dd6a8e1cb0347842dfa3fe7fef51d3053ba59",
  "3.1.10": "sha256:27c9063065c4804d358924930c263f3e013b62ef1a5abf2399966b34dfdb0655",
  "3.1.9": "sha256:185146e67783d47b9c68b7fa41701545826488080797905cd15d357d79fff68b",
};

describe("semfly versions", () => {
  it("lists versions by semver precedence with the live one marked", async () => {
    const { stdout, stderr, exitCode } = await semfly(["versions"], emulator);
    expect(exitCode).toBe(0);
    expect(stderr).toBe("");
    expect(stdout).toBe(
      [
        "   VERSION  STATUS      RELEASES  MACHINES  DIGEST               IMAGE                DEPLOYED  BY",
        "*  3.1.12   live        v23-v27   7         sha256:ed5c6ce26bc7  restorable           27d ago   carol@acme.test",
        "   3.1.11   previous    v18-v22   -         sha256:98059fbd9b6f  restorable just now  2mo ago   alice@acme.test",
        "   3.1.10   superseded  v17       -         sha256:27c9063065c4  restorable           2mo ago   alice@acme.test",
        "   3.1.9    superseded  v3-v16    -         sha256:185146e67783  restorable just now  5mo ago   alice@acme.test",
        "",
      ].join("\n"),
    );
  });

  it("prints only JSON with --json", async () => {
    // --no-image-check and a fresh cache: no answer is known, so every marker but the machines' is not-checked.
    const { stdout, stderr, exitCode } = await semfly(
      ["versions", "--json", "--no-image-check"],
      emulator,
      { env: { SEMFLY_NO_CACHE: "1" } },
    );
    expect(exitCode).toBe(0);
    expect(stderr).toBe("");
    expect(JSON.parse(stdout)).toEqual([
      {
        version: "3.1.12",
        key: "3.1.12",
        current: true,
        status: "live",
        releases: [27, 26, 25, 24, 23],
        image: {
          ref: "registry.fly.io/acme-web:deployment-01JV8Q2M3T6Y9C4B7N1K5H0R2X",
          digest: DIGEST["3.1.12"],
        },
        deployedAt: "2025-05-14T15:12:47Z",
        deployedBy: "carol@acme.test",
        machines: 7,
        drift: false,
        rollbackable: {
          state: "restorable",
          source: "machines",
          checkedAt: "2025-06-11T12:00:00.000Z",
          cached: false,
          detail: expect.stringMatching(/^machine \w+ references it$/),
        },
      },
      {
        version: "3.1.11",
        key: "3.1.11",
        current: false,
        status: "previous",
        releases: [22, 21, 20, 19, 18],
        image: { ref: "registry.fly.io/acme-web:v3.1.11", digest: DIGEST["3.1.11"] },
        deployedAt: "2025-04-09T09:24:19Z",
        deployedBy: "alice@acme.test",
        machines: 0,
        drift: false,
        rollbackable: {
          state: "not-checked",
          source: null,
          checkedAt: null,
          cached: false,
          detail: "image check skipped (--no-image-check)",
          unasked: "off",
        },
      },
      {
        version: "3.1.10",
        key: "3.1.10",
        current: false,
        status: "superseded",
        releases: [17],
        image: { ref: "registry.fly.io/acme-web:3.1.10", digest: DIGEST["3.1.10"] },
        deployedAt: "2025-04-02T13:45:03Z",
        deployedBy: "alice@acme.test",
        machines: 0,
        drift: false,
        rollbackable: {
          state: "restorable",
          source: "machines",
          checkedAt: "2025-06-11T12:00:00.000Z",
          cached: false,
          detail: expect.stringMatching(/^machine \w+ references it$/),
        },
      },
      {
        version: "3.1.9",
        key: "3.1.9",
        current: false,
        status: "superseded",
        releases: [16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3],
        image: { ref: "registry.fly.io/acme-web:3.1.9", digest: DIGEST["3.1.9"] },
        deployedAt: "2025-01-06T10:05:12Z",
        deployedBy: "alice@acme.test",
        machines: 0,
        drift: false,
        rollbackable: {
          state: "not-checked",
          source: null,
          checkedAt: null,
          cached: false,
          detail: "image check skipped (--no-image-check)",
          unasked: "off",
        },
      },
    ]);
  });

  it("says so when the app has no releases, and prints [] with --json", async () => {
    const table = await semfly(["versions", "--app", "empty-app"], emulator);
    expect(table).toEqual({ stdout: "empty-app has no releases yet.\n", stderr: "", exitCode: 0 });
    const json = await semfly(["versions", "--app", "empty-app", "--json"], emulator);
    expect(json).toEqual({ stdout: "[]\n", stderr: "", exitCode: 0 });
  });

  it("gives an unversioned image a null version", async () => {
    const app = scenario("plain-app")
      .image("latest", { tag: "latest", labels: {} })
      .release({ image: "latest" })
      .machines(1);
    const own = await startTestEmulator(app.build());
    try {
      const { stdout, exitCode } = await semfly(["versions", "--json"], own);
      expect(exitCode).toBe(0);
      const [entry] = JSON.parse(stdout);
      expect(entry).toMatchObject({ version: null, current: true, status: "live", releases: [1] });
      expect(entry.image.ref).toBe("registry.fly.io/plain-app:latest");
    } finally {
      await own.close();
    }
  });

  it("refuses a stray argument with a hint, instead of calling it an unknown command", async () => {
    expect(await semfly(["versions", "acme-web"], emulator)).toEqual({
      stdout: "",
      stderr:
        'Error: Unexpected argument: "acme-web"\n  `semfly versions` takes no arguments; name the app with --app acme-web.\n',
      exitCode: 2,
    });
  });

  it("truncates the widest column with … to fit the terminal", async () => {
    const { stdout } = await semfly(["versions"], emulator, { env: { COLUMNS: "80" } });
    expect(stdout.split("\n")[1]).toBe(
      "*  3.1.12   live        v23-v27   7         sh…  restorable        27d ago   ca…",
    );
    for (const line of stdout.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
  });

  it("colours the status unless NO_COLOR is set", async () => {
    const colored = await semfly(["versions"], emulator, {
      env: { NO_COLOR: undefined, FORCE_COLOR: "1" },
      raw: true,
    });
    expect(colored.stdout).toContain("\u001b[32mlive");
    const plain = await semfly(["versions"], emulator, { env: { FORCE_COLOR: "1" }, raw: true });
    expect(plain.stdout).not.toContain("\u001b[");
  });
});
