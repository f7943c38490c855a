import { describe, expect, it } from "vitest";
import {
  buildVersionHistory,
  isAppMachine,
  KEEP_METADATA_KEY,
  keepMachineConfig,
  keepMachineName,
  keptImages,
} from "../../src/index.js";
import { acmeWebHistory, digestOf, machine } from "../builders.js";

const DIGEST = digestOf("3.1.11");
const kept = machine({
  id: "k1",
  state: "created",
  image: `registry.fly.io/acme-web@${DIGEST}`,
  metadata: { [KEEP_METADATA_KEY]: "3.1.11", semfly_keep_digest: DIGEST },
});

describe("kept machines", () => {
  it("reference the image by digest, with no services and no Fly Launch marker", () => {
    const config = keepMachineConfig(
      { key: "3.1.11", version: "3.1.11", imageRef: "registry.fly.io/acme-web:v3.1.11" },
      DIGEST,
    );
    expect(config.image).toBe(`registry.fly.io/acme-web@${DIGEST}`);
    expect(config.services).toBeUndefined();
    // flyctl deploys only machines with fly_platform_version "v2": a kept one must stay outside.
    expect(config.metadata).toEqual({ semfly_keep: "3.1.11", semfly_keep_digest: DIGEST });
    expect(keepMachineName("3.2.0-rc.1+build.5")).toBe("semfly-keep-3-2-0-rc-1-build-5");
  });

  it("are not app machines: the history, its drift and its placements leave them out", () => {
    expect(isAppMachine(kept)).toBe(false);
    const live = machine({ id: "m1" });
    const history = buildVersionHistory({
      app: "acme-web",
      releases: acmeWebHistory(),
      machines: [live, kept],
    });
    expect(history.machines.map((m) => m.machine.id)).toEqual(["m1"]);
    expect(history.drift).toBe(false);
    expect(keptImages([live, kept])).toEqual([
      {
        machineId: "k1",
        name: "machine-k1",
        region: "ams",
        state: "created",
        version: "3.1.11",
        digest: DIGEST,
        image: `registry.fly.io/acme-web@${DIGEST}`,
      },
    ]);
  });
});
