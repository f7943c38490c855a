import type { Emulator } from "@semfly/fly-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { semfly, startTestEmulator } from "../helpers.js";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator.close();
});

const REV11 = "76670bd82fcf71b24a978b961f104289eedbae40";
const REV12 = "7161d7bfa94ad37a2df60541bf82fb92bd5665a9";

describe("semfly diff", () => {
  it("compares a version with the live one: image, commits, labels, config, fly.toml, releases", async () => {
    const { stdout, stderr, exitCode } = await semfly(["diff", "3.1.11"], emulator, {
      env: { COLUMNS: "160" },
    });
    expect(stderr).toBe("");
    expect(exitCode).toBe(0);
    expect(stdout).toBe(
      [
        "acme-web: 3.1.11 → 3.1.12 (live)",
        "",
        "Image",
        "  VERSION  DIGEST               REF",
        "  3.1.11   sha256:98059fbd9b6f  registry.fly.io/acme-web:v3.1.11",
        "  3.1.12   sha256:ed5c6ce26bc7  registry.fly.io/acme-web:deployment-01JV8Q2M3T6Y9C4B7N1K5H0R2X",
        "",
        "Source",
        "  https://github.com/acme/acme-web  76670bd..7161d7b",
        `  https://github.com/acme/acme-web/compare/${REV11}...${REV12}`,
        "",
        "Labels",
        "  LABEL                              3.1.11                                    3.1.12",
        `  org.opencontainers.image.revision  ${REV11}  ${REV12}`,
        "  org.opencontainers.image.version   3.1.11                                    3.1.12",
        "",
        "Machine config",
        "  PATH             3.1.11  3.1.12",
        "  guest.memory_mb  512     1024",
        "",
        "App config (fly.toml)",
        "  No differences. From releases v18 and v23.",
        "",
        "Releases between (5)",
        "  RELEASE  STATUS       REASON  DESCRIPTION                  USER             DATE",
        "  v27      complete     scale   Scaled VM memory to 1024MB   alice@acme.test  1h ago",
        "  v26      complete     scale   Scaled app to 4 machines     bob@acme.test    7d ago",
        "  v25      interrupted  scale   Scaled app to 12 machines    bob@acme.test    13d ago",
        "  v24      complete     scale   Scaled worker to 2 machines  bob@acme.test    21d ago",
        "  v23      complete     deploy  Deploy image                 carol@acme.test  27d ago",
        "",
      ].join("\n"),
    );
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("prints the diff as JSON with the compare link", async () => {
    const { stdout, exitCode } = await semfly(["diff", "3.1.10", "3.1.11", "--json"], emulator);
    expect(exitCode).toBe(0);
    const diff = JSON.parse(stdout);
    expect(diff.a).toMatchObject({ version: "3.1.10", status: "superseded", releases: [17] });
    expect(diff.b).toMatchObject({ version: "3.1.11", live: false });
    expect(diff.source).toEqual({
      repository: "https://github.com/acme/acme-web",
      from: "fd33514418a795a4c4d147d5f2fc988401e7ecd1",
      to: REV11,
      compareUrl: `https://github.com/acme/acme-web/compare/fd33514418a795a4c4d147d5f2fc988401e7ecd1...${REV11}`,
    });
    expect(diff.releasesBetween.map((r: { release: number }) => r.release)).toEqual([
      22, 21, 20, 19, 18,
    ]);
  });

  it.each([
    [["diff", "banana!"], 'Error: "banana!" is not a version, a range or previous.'],
    [["diff", "9.9.9"], 'Error: "9.9.9" was never deployed to acme-web.'],
  ])("refuses %j with exit 2", async (args, message) => {
    const { stderr, exitCode } = await semfly(args, emulator);
    expect(exitCode).toBe(2);
    expect(stderr.split("\n")[0]).toBe(message);
  });

  it("reads v17 as Fly's release 17, and refuses v3, which is also the range 3.x", async () => {
    const release = await semfly(["diff", "v17", "--json"], emulator);
    expect(release.exitCode).toBe(0);
    expect(JSON.parse(release.stdout).a).toMatchObject({ version: "3.1.10" });
    const ambiguous = await semfly(["diff", "v3"], emulator);
    expect(ambiguous.exitCode).toBe(2);
    expect(ambiguous.stderr).toBe(
      [
        'Error: "v3" names both Fly release 3 (3.1.9) and the versions 3.x (3.1.12, 3.1.11, 3.1.10, …).',
        "  Pass 3.1.9 for release 3's version, or 3.x for the range.",
        "",
      ].join("\n"),
    );
  });

  it("without a version, says in plain words what to pass", async () => {
    const { stdout, stderr, exitCode } = await semfly(["diff"], emulator);
    expect(exitCode).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      [
        "Error: No version to compare was given.",
        "  Pass one version to compare with the live one (`semfly diff 3.1.11`), two to compare them with each other (`semfly diff 3.1.10 3.1.12`), or previous.",
        "",
      ].join("\n"),
    );
  });
});
