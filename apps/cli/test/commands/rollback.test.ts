import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Emulator, scenario } from "@semfly/fly-emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SECRET_TOKEN, semfly, startTestEmulator } from "../helpers.js";

const D11 = "sha256:98059fbd9b6f5e5580e59b3cee8dd6a8e1cb0347842dfa3fe7fef51d3053ba59";
const D12 = "sha256:ed5c6ce26bc7cf3f7a197ee6cae6d63aa415b2de67a05678aec46d67a0369979";
/** The Fly Launch machines, in the order a rollout takes them: running first, cold ones last. */
const MACHINES = [
  "5683d4e3c7e08e",
  "e784079b449483",
  "3d8d9e1a265789",
  "148e272f6d4d89",
  "d8d1779c4d0e18",
  "9080524f612387",
  "2b7e4c9d1a0f53",
];
const COLD = ["9080524f612387", "2b7e4c9d1a0f53"];
const NOTE =
  "A rollback changes machine images (and, with --with-config, machine configs) only: secrets, volumes and databases are not restored.";

const PLAN = [
  "Roll back acme-web from 3.1.12 to 3.1.11",
  `  Image:     registry.fly.io/acme-web@${D11}`,
  "  Strategy:  rolling: one machine first, then 1 machine of each process group at a time (4 batches)",
  "  Machines:  7 to update, 2 of them cold (updated without starting), 1 not managed",
  "",
  "MACHINE         NAME               REGION  GROUP   STATE                 FROM    TO",
  "5683d4e3c7e08e  bold-river-2045    ams     app     started               3.1.12  3.1.11",
  "e784079b449483  aged-thunder-7371  ams     app     started               3.1.12  3.1.11",
  "3d8d9e1a265789  calm-meadow-5512   iad     app     started               3.1.12  3.1.11",
  "148e272f6d4d89  green-star-4417    ams     worker  started               3.1.12  3.1.11",
  "d8d1779c4d0e18  hidden-wave-6203   iad     worker  started               3.1.12  3.1.11",
  "9080524f612387  eager-forest-8810  iad     app     stopped (stays cold)  3.1.12  3.1.11",
  "2b7e4c9d1a0f53  icy-field-3391     ams     worker  stopped (stays cold)  3.1.12  3.1.11",
  "  6e82d3f1b0a947: not managed (not a Fly Launch machine), left alone",
  "Note: A rollback does not run the release command (bin/migrate): migrations it ran are not undone.",
  "",
  `Note: ${NOTE}`,
  "",
  "Preflight",
  "  Migrations crossed: 3.1.12 (v23: bin/migrate) ran a release command; the database schema may not match 3.1.11.",
  "  Secrets: none changed since 3.1.11 was deployed.",
];
/** Spearhead, then one app and one worker machine at a time, then the cold ones together. */
const BATCHES = [[MACHINES[0]], [MACHINES[1], MACHINES[3]], [MACHINES[2], MACHINES[4]], COLD];

let emulator: Emulator;
beforeEach(async () => {
  emulator = await startTestEmulator();
});
afterEach(async () => {
  await emulator.close();
});

/** The digest each Fly Launch machine runs (the unmanaged ones are never touched). */
const machineDigests = () =>
  emulator
    .machines("acme-web")
    .filter((m) => MACHINES.includes(m.id))
    .map((m) => (m.image_ref as { digest?: string } | undefined)?.digest);

describe("semfly rollback", () => {
  it("rolls back, shows progress, and ends with the command that undoes it", async () => {
    const { stdout, stderr, exitCode } = await semfly(
      ["rollback", "3.1.11", "--yes", "--max-unavailable", "1"],
      emulator,
      { env: { SEMFLY_ACTOR: "alice@acme.test" } },
    );
    expect(stderr).toBe("");
    expect(exitCode).toBe(0);
    // Machines of one batch change at once, so within a batch their lines may come in any order.
    const lines = stdout.split("\n");
    const start = PLAN.length + 4;
    const end = lines.indexOf("Release v28 is complete");
    expect(lines.slice(0, start)).toEqual([
      ...PLAN,
      "",
      "Leased 7 machines",
      "Created release v28",
      "Release v28 is running",
    ]);
    const progress = lines.slice(start, end);
    const headers = progress.filter((line) => line.startsWith("Batch "));
    expect(headers).toEqual(BATCHES.map((ids, i) => `Batch ${i + 1}/4: ${ids.join(", ")}`));
    const perMachine = BATCHES.flatMap((ids) =>
      ids.flatMap((id) =>
        COLD.includes(id!)
          ? [`${id}: updated to 3.1.11`, `${id}: on 3.1.11, left cold`]
          : [`${id}: updated to 3.1.11`, `${id}: started`, `${id}: checks passing`],
      ),
    );
    // After the last batch: the machines are judged once more, together (no bake window asked for).
    expect(progress.at(-1)).toBe(
      "Gates (bake): changed machines running passes (5 started); Fly health checks passes (5 started machines, checks passing); same image everywhere passes (7 machines on sha256:98059fbd9b6f)",
    );
    expect(
      progress
        .slice(0, -1)
        .filter((line) => !line.startsWith("Batch "))
        .sort(),
    ).toEqual(perMachine.sort());
    expect(lines.slice(end).join("\n")).toBe(
      [
        "Release v28 is complete",
        "Released 7 leases",
        "",
        "Rolled back acme-web from 3.1.12 to 3.1.11 (release v28): 7 machines updated.",
        "",
        "MACHINE         REGION  GROUP   FROM    TO      RESULT",
        "5683d4e3c7e08e  ams     app     3.1.12  3.1.11  updated",
        "e784079b449483  ams     app     3.1.12  3.1.11  updated",
        "3d8d9e1a265789  iad     app     3.1.12  3.1.11  updated",
        "148e272f6d4d89  ams     worker  3.1.12  3.1.11  updated",
        "d8d1779c4d0e18  iad     worker  3.1.12  3.1.11  updated",
        "9080524f612387  iad     app     3.1.12  3.1.11  updated (left cold)",
        "2b7e4c9d1a0f53  ams     worker  3.1.12  3.1.11  updated (left cold)",
        "",
        `Note: ${NOTE}`,
        "",
        "To undo: semfly rollback 3.1.12 --app acme-web",
        "Froze acme-web by alice@acme.test until unfrozen: rolled back from 3.1.12 to 3.1.11",
        "  CI deploys through semfly are refused until `semfly unfreeze` (or `semfly deploy --unfreeze`).",
        "",
      ].join("\n"),
    );
    expect(machineDigests()).toEqual(Array(7).fill(D11));
    const versions = JSON.parse((await semfly(["versions", "--json"], emulator)).stdout);
    expect(versions.find((v: { current: boolean }) => v.current).version).toBe("3.1.11");
  });

  it("prints the documented JSON with --json, progress on stderr", async () => {
    const { stdout, stderr, exitCode } = await semfly(
      ["rollback", "previous", "--yes", "--json"],
      emulator,
    );
    expect(exitCode).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({
      app: "acme-web",
      from: "3.1.12",
      to: "3.1.11",
      release: 28,
      status: "complete",
      undo: "semfly rollback 3.1.12 --app acme-web",
      notRestored: NOTE,
    });
    expect(result.machines).toHaveLength(7);
    expect(result.machines[0]).toEqual({
      id: "5683d4e3c7e08e",
      name: "bold-river-2045",
      region: "ams",
      processGroup: "app",
      from: "3.1.12",
      to: "3.1.11",
      result: "updated",
    });
    expect(stderr).toContain("Created release v28\n");
    expect(stderr).toContain("Release v28 is complete\n");
  });

  it("--dry-run shows the plan, checks the image and changes nothing", async () => {
    emulator.clearRequestLog();
    const human = await semfly(
      ["rollback", "3.1.11", "--dry-run", "--max-unavailable", "1"],
      emulator,
    );
    expect(human).toEqual({
      stdout: `${[
        ...PLAN,
        "",
        `Image check: exists (registry.fly.io has ${D11})`,
        "Dry run: nothing was changed. Run again without --dry-run to roll back.",
        "The rollback would then freeze the app, so deploys are refused (--no-freeze skips it).",
      ].join("\n")}\n`,
      stderr: "",
      exitCode: 0,
    });
    const json = await semfly(["rollback", "3.1.11", "--dry-run", "--json"], emulator);
    const plan = JSON.parse(json.stdout);
    expect(plan).toMatchObject({
      app: "acme-web",
      from: "3.1.12",
      to: "3.1.11",
      release: null,
      status: "planned",
      dryRun: true,
      // Spearhead; the default 0.33 is one of the three running app machines and one of the two workers.
      batches: BATCHES,
    });
    expect(plan.machines.map((m: { result: string }) => m.result)).toEqual(
      Array(7).fill("planned"),
    );
    expect(emulator.mutatingRequests()).toEqual([]);
    // The image check asked the registry for the target's manifest, by digest.
    expect(
      emulator.requestLog.some(
        (r) => r.method === "HEAD" && r.path.includes("/acme-web/manifests/sha256:"),
      ),
    ).toBe(true);
    expect(machineDigests()).toEqual(Array(7).fill(D12));
  });

  it("refuses without --yes when stdin is not a terminal, changing nothing", async () => {
    const { stdout, stderr, exitCode } = await semfly(["rollback", "3.1.11"], emulator);
    expect(exitCode).toBe(2);
    expect(stdout).toBe(
      `${PLAN.join("\n").replace("then 1 machine of each", "then 33% of each")}\n`,
    );
    expect(stderr).toBe(
      "Error: Refusing to roll back acme-web without confirmation: stdin is not a terminal.\n  Pass --yes to go ahead, or --dry-run to see the plan only.\n",
    );
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("with --json, reports a refusal as one line on stderr and an error object on stdout", async () => {
    const { stdout, stderr, exitCode } = await semfly(["rollback", "--json"], emulator);
    expect(exitCode).toBe(2);
    expect(JSON.parse(stdout)).toEqual({
      error: {
        code: "CONFIRMATION_REQUIRED",
        message: "Refusing to roll back acme-web without confirmation: stdin is not a terminal.",
        suggestion: "Pass --yes to go ahead, or --dry-run to see the plan only.",
      },
    });
    expect(stderr.split("\n")[0]).toBe(
      "Error: Refusing to roll back acme-web without confirmation: stdin is not a terminal.",
    );
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("takes leases that last as long as --lease-timeout says", async () => {
    // A target that never starts keeps the leases held long enough to read them.
    emulator.markImageNeverStarts("registry.fly.io/acme-web:v3.1.11", "hang");
    const run = semfly(
      ["rollback", "3.1.11", "--yes", "--lease-timeout", "7s", "--wait-timeout", "2s"],
      emulator,
    );
    let lifetime: number | undefined;
    while (lifetime === undefined) {
      const lease = emulator.leases("acme-web")[0];
      if (lease) lifetime = lease.expires_at - Math.floor(Date.now() / 1000);
      else await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect((await run).exitCode).toBe(1);
    // The default is 30 s: a lifetime of at most 7 s is the flag's.
    expect(lifetime).toBeGreaterThanOrEqual(5);
    expect(lifetime).toBeLessThanOrEqual(7);
  });

  it("fails with exit 1 and puts every machine back when the target's checks go critical", async () => {
    emulator.markImageBad("registry.fly.io/acme-web:v3.1.11");
    const { stdout, stderr, exitCode } = await semfly(
      ["rollback", "3.1.11", "--yes", "--json", "--strategy", "canary"],
      emulator,
    );
    expect(exitCode).toBe(1);
    const result = JSON.parse(stdout);
    expect(result.status).toBe("failed");
    expect(result.reverted).toBe(true);
    expect(result.undo).toBeNull();
    expect(result.machines[0]).toMatchObject({ id: MACHINES[0], result: "reverted" });
    expect(result.machines.slice(1).map((m: { result: string }) => m.result)).toEqual(
      Array(6).fill("not-started"),
    );
    const lines = stderr.trimEnd().split("\n");
    expect(lines.at(-2)).toMatch(
      /^Error: Rollback of acme-web to 3\.1\.11 failed: Machine 5683d4e3c7e08e failed: health check [^;]* is critical[^;]*; every changed machine is back on 3\.1\.12\.$/,
    );
    expect(lines.at(-1)).toBe("  See the machines above for what failed, then run it again.");
    await emulator.idle();
    expect(machineDigests()).toEqual(Array(7).fill(D12));
  });

  it("without --json, a failed rollout still says why on stderr, the table staying on stdout", async () => {
    emulator.markImageBad("registry.fly.io/acme-web:v3.1.11");
    const { stdout, stderr, exitCode } = await semfly(
      ["rollback", "3.1.11", "--yes", "--strategy", "canary"],
      emulator,
    );
    expect(exitCode).toBe(1);
    expect(stdout).toMatch(/^Rollback of acme-web to 3\.1\.11 \(release v\d+\) failed: /m);
    expect(stdout).toMatch(/^MACHINE +REGION +GROUP +FROM +TO +RESULT$/m);
    const lines = stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^Error: Rollback of acme-web to 3\.1\.11 failed: Machine 5683d4e3c7e08e failed: [^;]*; every changed machine is back on 3\.1\.12\.$/,
    );
    expect(lines[1]).toBe("  See the machines above for what failed, then run it again.");
  });

  it("shows a skipped machine's name, region and group like any other row", async () => {
    // m2, a worker in iad, already runs 1.0.0: the rollback to 1.0.0 skips it.
    const drifted = scenario("drifty")
      .image("1.0.0")
      .image("1.1.0")
      .release({ image: "1.0.0" })
      .release({ image: "1.1.0" })
      .machine({ id: "m1", name: "one", region: "ams", release: 2 })
      .machine({ id: "m2", name: "two", region: "iad", processGroup: "worker", release: 1 });
    const own = await startTestEmulator(drifted.build());
    try {
      const dry = await semfly(["rollback", "1.0.0", "--dry-run", "--json"], own);
      expect(JSON.parse(dry.stdout).machines.at(-1)).toEqual({
        id: "m2",
        name: "two",
        region: "iad",
        processGroup: "worker",
        from: "1.0.0",
        to: "1.0.0",
        result: "skipped",
        note: "already on the target digest",
      });
      const { stdout, exitCode } = await semfly(["rollback", "1.0.0", "--yes"], own);
      expect(exitCode).toBe(0);
      expect(stdout).toMatch(/^m2 +iad +worker +1\.0\.0 +1\.0\.0 +skipped$/m);
    } finally {
      await own.close();
    }
  });

  it("accepts --strategy ROLLING as flyctl does", async () => {
    const { stdout, exitCode } = await semfly(
      ["rollback", "3.1.11", "--dry-run", "--json", "--strategy", "ROLLING"],
      emulator,
    );
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout).strategy).toBe("rolling");
  });

  it("reads --release v27 as Fly writes it, and v20 alone as release 20", async () => {
    const flag = await semfly(["rollback", "--release", "v20", "--dry-run", "--json"], emulator);
    expect(flag.exitCode).toBe(0);
    expect(JSON.parse(flag.stdout).to).toBe("3.1.11");
    const bare = await semfly(["rollback", "v20", "--dry-run", "--json"], emulator);
    expect(bare.exitCode).toBe(0);
    expect(JSON.parse(bare.stdout).to).toBe("3.1.11");
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("says which higher versions a range passed over, and why", async () => {
    // 3.2.0's only deploy failed; 3.1.12 is live: ^3 lands on 3.1.11 and says why not 3.2.0.
    emulator.addImage("acme-web", { ref: "registry.fly.io/acme-web:3.2.0" });
    const failed = emulator.addRelease("acme-web", {
      image: "registry.fly.io/acme-web:3.2.0",
      status: "failed",
    });
    const human = await semfly(["rollback", "^3", "--dry-run"], emulator);
    expect(human.exitCode).toBe(0);
    expect(human.stdout.split("\n").slice(0, 2)).toEqual([
      "Roll back acme-web from 3.1.12 to 3.1.11",
      `  Skipped 3.2.0: never deployed successfully: v${failed.version} failed.`,
    ]);
    const json = await semfly(["rollback", "^3", "--dry-run", "--json"], emulator);
    expect(JSON.parse(json.stdout).skippedVersions).toEqual([
      { version: "3.2.0", why: `never deployed successfully: v${failed.version} failed` },
    ]);
  });

  it("stops safely on Ctrl-C: machines in flight finish, exit 1, status interrupted", async () => {
    const run = semfly(
      ["rollback", "3.1.11", "--yes", "--json", "--max-unavailable", "1"],
      emulator,
    );
    const started = Date.now();
    while (!emulator.mutatingRequests().some((r) => r.operation === "machines.update")) {
      if (Date.now() - started > 10_000) throw new Error("the rollout never started");
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    process.emit("SIGINT", "SIGINT");
    const { stdout, stderr, exitCode } = await run;
    expect(exitCode).toBe(1);
    const result = JSON.parse(stdout);
    expect(result.status).toBe("interrupted");
    expect(result.machines[0].result).toBe("updated");
    expect(result.machines.at(-1).result).toBe("not-started");
    expect(result.undo).toBe("semfly rollback 3.1.12 --app acme-web");
    expect(stderr).toContain("Interrupting: no new machine starts");
    const updated = result.machines.filter(
      (m: { result: string }) => m.result === "updated",
    ).length;
    expect(stderr.trimEnd().split("\n").slice(-2)).toEqual([
      `Error: Rollback of acme-web to 3.1.11 was interrupted after ${updated} of 7 machines.`,
      "  Run the same command again to finish, or undo with `semfly rollback 3.1.12 --app acme-web`.",
    ]);
    expect(emulator.leases("acme-web")).toEqual([]);
    expect(process.listenerCount("SIGINT")).toBe(0);
  });

  it("stops as safely on SIGTERM (a cancelled CI job): interrupted, exit 1, no lease left", async () => {
    const run = semfly(
      ["rollback", "3.1.11", "--yes", "--json", "--max-unavailable", "1"],
      emulator,
    );
    const started = Date.now();
    while (!emulator.mutatingRequests().some((r) => r.operation === "machines.update")) {
      if (Date.now() - started > 10_000) throw new Error("the rollout never started");
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    process.emit("SIGTERM", "SIGTERM");
    const { stdout, stderr, exitCode } = await run;
    expect(exitCode).toBe(1);
    expect(JSON.parse(stdout).status).toBe("interrupted");
    expect(stderr).toContain("Interrupting (SIGTERM): no new machine starts");
    expect(emulator.leases("acme-web")).toEqual([]);
    expect(process.listenerCount("SIGTERM")).toBe(0);
  });
});

describe("semfly rollback refuses bad input with exit 2 and sends nothing", () => {
  const cases: [string, string[], string][] = [
    [
      "not a version",
      ["rollback", "banana!"],
      'Error: "banana!" is not a version, a range or previous.',
    ],
    [
      "a range nothing matches",
      ["rollback", "^9.0"],
      'Error: The range "^9.0" matches nothing to roll back to: no deployed version satisfies it.',
    ],
    [
      "a version never deployed",
      ["rollback", "9.9.9"],
      'Error: "9.9.9" was never deployed to acme-web.',
    ],
    [
      "an unknown release",
      ["rollback", "--release", "999"],
      'Error: acme-web has no release "v999".',
    ],
    ["the live version", ["rollback", "3.1.12"], "Error: 3.1.12 is already live on acme-web."],
    [
      "a release of the live version",
      ["rollback", "--release", "25"],
      "Error: 3.1.12 is already live on acme-web.",
    ],
    [
      "a target and --release",
      ["rollback", "3.1.11", "--release", "18"],
      "Error: Both TARGET (3.1.11) and --release 18 were given.",
    ],
    [
      "an unknown strategy",
      ["rollback", "3.1.11", "--strategy", "yolo"],
      'Error: --strategy "yolo" is not one of rolling, canary, immediate, bluegreen.',
    ],
    [
      "a max-unavailable above 1 that is no count",
      ["rollback", "3.1.11", "--max-unavailable", "1.5"],
      'Error: --max-unavailable "1.5" is neither a fraction between 0 and 1 nor a whole count.',
    ],
    [
      "a max-unavailable of zero",
      ["rollback", "3.1.11", "--max-unavailable", "0"],
      'Error: --max-unavailable "0" is neither a fraction between 0 and 1 nor a whole count.',
    ],
    [
      "a max-unavailable that is no number",
      ["rollback", "3.1.11", "--max-unavailable", "half"],
      'Error: --max-unavailable "half" is neither a fraction between 0 and 1 nor a whole count.',
    ],
    [
      "a wait-timeout without unit",
      ["rollback", "3.1.11", "--wait-timeout", "90"],
      'Error: --wait-timeout "90" is not a duration of at least one second.',
    ],
    [
      "a wait-timeout that is no duration",
      ["rollback", "3.1.11", "--wait-timeout", "soon"],
      'Error: --wait-timeout "soon" is not a duration of at least one second.',
    ],
    [
      "a lease-timeout too short to refresh",
      ["rollback", "3.1.11", "--lease-timeout", "4s"],
      "Error: --lease-timeout 4s is outside 5s..10m.",
    ],
    [
      "a lease-timeout that would lock the app after a killed run",
      ["rollback", "3.1.11", "--lease-timeout", "11m"],
      "Error: --lease-timeout 660s is outside 5s..10m.",
    ],
    [
      "a release that is no number",
      ["rollback", "--release", "latest"],
      'Error: "latest" is not a Fly release number.',
    ],
    [
      "a release number past 2^53, which no JavaScript number holds exactly",
      ["rollback", "--release", "9007199254740993"],
      'Error: "9007199254740993" is not a Fly release number.',
    ],
    [
      "a v-number past 2^53",
      ["rollback", "v99999999999999999999"],
      'Error: "v99999999999999999999" is not a Fly release number.',
    ],
    [
      "v3, both Fly's release 3 and the range 3.x",
      ["rollback", "v3"],
      'Error: "v3" names both Fly release 3 (3.1.9) and the versions 3.x (3.1.12, 3.1.11, 3.1.10, …).',
    ],
    [
      "a count above the machines that would change",
      ["rollback", "3.1.11", "--max-unavailable", "20"],
      'Error: --max-unavailable "20" is more than the 7 machines this rollback changes on acme-web: all 7 would change at once.',
    ],

    ["an unknown flag", ["rollback", "3.1.11", "--force"], "Error: Nonexistent flag: --force"],
    [
      "an unknown app",
      ["rollback", "3.1.11", "--app", "no-such-app"],
      'Error: Fly has no app named "no-such-app".',
    ],
  ];

  it.each(cases)("%s", async (_name, args, message) => {
    emulator.clearRequestLog();
    const { stdout, stderr, exitCode } = await semfly([...args, "--yes"], emulator);
    expect(exitCode).toBe(2);
    expect(stdout).toBe("");
    const lines = stderr.trimEnd().split("\n");
    expect(lines[0]!.startsWith(message)).toBe(true);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^ {2}\S/);
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("a version that never deployed successfully", async () => {
    emulator.addImage("acme-web", { ref: "registry.fly.io/acme-web:3.1.13" });
    emulator.addRelease("acme-web", {
      status: "failed",
      image: "registry.fly.io/acme-web:3.1.13",
      reason: "deploy",
    });
    emulator.clearRequestLog();
    const { stderr, exitCode } = await semfly(["rollback", "3.1.13", "--yes"], emulator);
    expect(exitCode).toBe(2);
    expect(stderr).toBe(
      "Error: 3.1.13 was never deployed successfully to acme-web (v28 failed).\n  Roll back to a version that was live before, e.g. `semfly rollback previous`.\n",
    );
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("a target whose image Fly no longer has", async () => {
    emulator.removeImage("acme-web", "registry.fly.io/acme-web:v3.1.11");
    emulator.clearRequestLog();
    const { stderr, exitCode } = await semfly(["rollback", "3.1.11", "--yes"], emulator);
    expect(exitCode).toBe(2);
    // Fly answers a pruned image's releases without a digest: nothing left to pin.
    expect(stderr.split("\n")[0]).toBe(
      "Error: Fly no longer knows the image digest of 3.1.11, so 3.1.11 cannot be pinned safely (the image may have been pruned).",
    );
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  it("no token anywhere", async () => {
    const { stdout, stderr, exitCode } = await semfly(["rollback", "3.1.11", "--yes"], emulator, {
      env: { FLY_API_TOKEN: undefined },
    });
    expect(exitCode).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      "Error: No Fly access token\n  Set FLY_API_TOKEN (see `fly auth token`), pass --access-token, or run `fly auth login`.\n",
    );
    expect(emulator.requestLog).toEqual([]);
  });

  it("a token Fly rejects (401)", async () => {
    const { stderr, exitCode } = await semfly(["rollback", "3.1.11", "--yes"], emulator, {
      env: { FLY_API_TOKEN: "fm2_revoked_token" },
    });
    expect(exitCode).toBe(2);
    // Releases and machines are fetched in parallel: whichever Fly refuses first is reported.
    expect(stderr.split("\n")[0]).toMatch(
      /^Error: Fly refused to list (releases: You must be authenticated to view this\.|machines \(HTTP 401\): Authenticate: token validation error)$/,
    );
    expect(stderr.trimEnd().split("\n")).toHaveLength(2);
    expect(stderr).not.toContain("fm2_revoked_token");
    expect(emulator.mutatingRequests()).toEqual([]);
  });

  describe("fly.toml", () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), "semfly-flytoml-"));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("is missing and no app is given", async () => {
      const { stderr, exitCode } = await semfly(["rollback", "3.1.11", "--yes"], emulator, {
        env: { FLY_APP: undefined },
        cwd: dir,
      });
      expect(exitCode).toBe(2);
      expect(stderr).toBe(
        "Error: No Fly app given and no fly.toml found\n  Pass --app <name>, set FLY_APP, or run semfly next to a fly.toml that names the app.\n",
      );
      expect(emulator.requestLog).toEqual([]);
    });

    it("is not valid TOML", async () => {
      await writeFile(join(dir, "fly.toml"), 'app = "acme-web\n[http_service\n');
      const { stderr, exitCode } = await semfly(["rollback", "3.1.11", "--yes"], emulator, {
        env: { FLY_APP: undefined },
        cwd: dir,
      });
      expect(exitCode).toBe(2);
      expect(stderr.split("\n")[0]).toMatch(/^Error: .*fly\.toml is not valid TOML/);
      expect(stderr.trimEnd().split("\n")).toHaveLength(2);
      expect(emulator.requestLog).toEqual([]);
    });

    it("names the app when no flag or FLY_APP does", async () => {
      await writeFile(join(dir, "fly.toml"), 'app = "acme-web"\nprimary_region = "ams"\n');
      const { stdout, exitCode } = await semfly(
        ["rollback", "3.1.11", "--dry-run", "--json"],
        emulator,
        {
          env: { FLY_APP: undefined },
          cwd: dir,
        },
      );
      expect(exitCode).toBe(0);
      expect(JSON.parse(stdout).app).toBe("acme-web");
    });
  });
});

describe("the token never shows", () => {
  const env = { FLY_API_TOKEN: SECRET_TOKEN };
  it.each([
    [["versions", "--verbose"], {}],
    [["rollback", "3.1.11", "--dry-run", "--verbose"], {}],
    [["rollback", "3.1.11", "--yes", "--json", "--verbose"], {}],
    [["status", "--app", "no-such-app", "--verbose"], {}],
    [["versions", "--app", "no-such-app"], { DEBUG: "semfly*" }],
    [
      ["versions", "--access-token", SECRET_TOKEN, "--verbose", "--json"],
      { FLY_API_TOKEN: undefined },
    ],
    [["rollback", "--bogus", "--access-token", SECRET_TOKEN], { DEBUG: "*" }],
  ] as [string[], Record<string, string | undefined>][])("semfly %s", async (args, extra) => {
    const { stdout, stderr } = await semfly(args, emulator, { env: { ...env, ...extra } });
    expect(`${stdout}${stderr}`).not.toContain(SECRET_TOKEN);
    expect(`${stdout}${stderr}`).not.toContain("s3cr3t");
    if (args.includes("--verbose")) expect(stderr).toContain("semfly:http ");
  });
});
