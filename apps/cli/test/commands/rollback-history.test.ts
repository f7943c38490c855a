import { type Emulator, scenario } from "@semfly/fly-emulator";
import { afterEach, describe, expect, it } from "vitest";
import { semfly, startTestEmulator } from "../helpers.js";

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const flyctlTag = (n: number) => `deployment-01HZX${n}0000ABCDEFGHJKMNPQ`;
const digestsOf = (app: string) =>
  emulator!.machines(app).map((m) => (m.image_ref as { digest?: string } | undefined)?.digest);
const digestOfVersion = (app: string, version: string) =>
  emulator!.images(app).find((i) => i.labels["org.opencontainers.image.version"] === version)
    ?.digest;

describe("rollback to versions only labels name", () => {
  // flyctl's default tags; docker/metadata-action put the version in the OCI label. The newest release
  // is `fly secrets set`, recorded without an image.
  const LABELLED = "labelled-web";
  const labelled = () =>
    scenario(LABELLED)
      .image("2.3.0", { tag: flyctlTag(1) })
      .image("2.4.0", { tag: flyctlTag(2) })
      .image("2.5.0", { tag: flyctlTag(3) })
      .release({ image: "2.3.0" })
      .release({ image: "2.4.0" })
      .release({ reason: "scale", description: "Scaled app" })
      .release({ image: "2.5.0" })
      .release({ image: null, reason: "secrets", description: "Set secrets" })
      .machines(2, {
        regions: ["ams", "iad"],
        versions: [{ release: 5, image: `registry.fly.io/${LABELLED}:${flyctlTag(3)}` }],
      })
      .build();

  it("lists every labelled version and no version for the release without an image", async () => {
    emulator = await startTestEmulator(labelled());
    const versions = JSON.parse(
      (await semfly(["versions", "--json", "-a", LABELLED], emulator)).stdout,
    );
    expect(
      versions.map((v: { version: string; status: string; releases: number[] }) => [
        v.version,
        v.status,
        v.releases,
      ]),
    ).toEqual([
      ["2.5.0", "live", [5, 4]],
      ["2.4.0", "previous", [3, 2]],
      ["2.3.0", "superseded", [1]],
    ]);
  });

  it("rolls back to 2.4.0, and the undo it prints takes the app back to 2.5.0", async () => {
    emulator = await startTestEmulator(labelled());
    const rollback = await semfly(
      ["rollback", "2.4.0", "--yes", "--json", "-a", LABELLED],
      emulator,
    );
    expect(rollback.exitCode).toBe(0);
    const result = JSON.parse(rollback.stdout);
    expect(result).toMatchObject({ from: "2.5.0", to: "2.4.0", status: "complete" });
    expect(result.undo).toBe(`semfly rollback 2.5.0 --app ${LABELLED}`);
    expect(digestsOf(LABELLED)).toEqual(Array(2).fill(digestOfVersion(LABELLED, "2.4.0")));

    const undo = await semfly([...result.undo.split(" ").slice(1), "--yes", "--json"], emulator);
    expect(undo.exitCode).toBe(0);
    expect(JSON.parse(undo.stdout)).toMatchObject({
      from: "2.4.0",
      to: "2.5.0",
      status: "complete",
    });
    expect(digestsOf(LABELLED)).toEqual(Array(2).fill(digestOfVersion(LABELLED, "2.5.0")));
  });

  it("rolls back to previous past the release without an image", async () => {
    emulator = await startTestEmulator(labelled());
    const { stdout, exitCode } = await semfly(
      ["rollback", "previous", "--yes", "--json", "-a", LABELLED],
      emulator,
    );
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ from: "2.5.0", to: "2.4.0" });
  });
});

describe("versions that machines run but no release names", () => {
  const APP = "hotfixed";
  const HOTFIX = `registry.fly.io/${APP}:${flyctlTag(7)}`;
  // `fly machine update --image` / `fly image update`: the machine keeps release v2's metadata.
  const hotfixed = (machinesOnHotfix: number) => {
    const builder = scenario(APP)
      .image("1.0.0")
      .image("1.1.0")
      .image("1.1.1", { tag: flyctlTag(7) })
      .release({ image: "1.0.0" })
      .release({ image: "1.1.0" });
    for (let i = 0; i < 2; i++) {
      builder.machine({
        id: `m${i + 1}000000000000`,
        name: `machine-${i + 1}`,
        region: i === 0 ? "ams" : "iad",
        versions: i < machinesOnHotfix ? [{ release: 2, image: HOTFIX }] : [2],
      });
    }
    return builder.build();
  };

  it("shows a version only some machines run as drift, in versions and status", async () => {
    emulator = await startTestEmulator(hotfixed(1));
    const versions = JSON.parse((await semfly(["versions", "--json", "-a", APP], emulator)).stdout);
    expect(versions[0]).toMatchObject({
      version: "1.1.1",
      status: "drift",
      releases: [],
      machines: 1,
      drift: true,
      image: { ref: HOTFIX, digest: digestOfVersion(APP, "1.1.1") },
    });
    const table = (await semfly(["versions", "-a", APP], emulator)).stdout.split("\n");
    expect(table[1]).toMatch(/^ {3}1\.1\.1 +drift +- +1 drift +sha256:/);
    expect(table[2]).toMatch(/^\* +1\.1\.0 +live +v2 +1 +sha256:/);

    const status = JSON.parse((await semfly(["status", "--json", "-a", APP], emulator)).stdout);
    expect(status.drift).toBe(true);
    expect(status.groups).toEqual([
      {
        processGroup: "app",
        region: "ams",
        runs: [
          {
            version: "1.1.1",
            digest: digestOfVersion(APP, "1.1.1"),
            key: "1.1.1",
            live: false,
            machines: ["m1000000000000"],
          },
        ],
      },
      {
        processGroup: "app",
        region: "iad",
        runs: [
          {
            version: "1.1.0",
            digest: digestOfVersion(APP, "1.1.0"),
            key: "1.1.0",
            live: true,
            machines: ["m2000000000000"],
          },
        ],
      },
    ]);
  });

  it("rolls back to it while it drifts, and away from it again", async () => {
    emulator = await startTestEmulator(hotfixed(1));
    const to = await semfly(["rollback", "1.1.1", "--yes", "--json", "-a", APP], emulator);
    expect(to.exitCode).toBe(0);
    expect(JSON.parse(to.stdout)).toMatchObject({ to: "1.1.1", status: "complete" });
    expect(digestsOf(APP)).toEqual(Array(2).fill(digestOfVersion(APP, "1.1.1")));

    const away = await semfly(["rollback", "1.1.0", "--yes", "--json", "-a", APP], emulator);
    expect(away.exitCode).toBe(0);
    const result = JSON.parse(away.stdout);
    expect(result).toMatchObject({ from: "1.1.1", to: "1.1.0", status: "complete" });
    expect(digestsOf(APP)).toEqual(Array(2).fill(digestOfVersion(APP, "1.1.0")));
    // The rollback to it recorded a release naming it, so the undo finds it.
    const undo = await semfly([...result.undo.split(" ").slice(1), "--yes", "--json"], emulator);
    expect(undo.exitCode).toBe(0);
    expect(digestsOf(APP)).toEqual(Array(2).fill(digestOfVersion(APP, "1.1.1")));
  });

  it("rolls back away from it when every machine runs it", async () => {
    emulator = await startTestEmulator(hotfixed(2));
    const versions = JSON.parse((await semfly(["versions", "--json", "-a", APP], emulator)).stdout);
    expect(versions[0]).toMatchObject({
      version: "1.1.1",
      status: "live",
      machines: 2,
      drift: false,
    });
    const away = await semfly(["rollback", "previous", "--yes", "--json", "-a", APP], emulator);
    expect(away.exitCode).toBe(0);
    expect(JSON.parse(away.stdout)).toMatchObject({
      from: "1.1.1",
      to: "1.1.0",
      status: "complete",
    });
    expect(digestsOf(APP)).toEqual(Array(2).fill(digestOfVersion(APP, "1.1.0")));
  });
});
