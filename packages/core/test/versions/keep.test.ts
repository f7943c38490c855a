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
        expiresAt: null,
        expired: false,
      },
    ]);
  });

  it("expire when their keep-until has passed, and only then; an unreadable date never expires", () => {
    const until = (value: string, id: string) =>
      machine({ id, state: "stopped", metadata: { ...kept.metadata, semfly_keep_until: value } });
    const now = Date.parse("2026-12-01T12:00:00Z");
    const found = keptImages(
      [
        until("2026-12-01T11:59:59Z", "k2"),
        until("2026-12-02T00:00:00Z", "k3"),
        until("soon", "k4"),
      ],
      now,
    ).map((k) => [k.machineId, k.expired]);
    expect(found.sort()).toEqual([
      ["k2", true],
      ["k3", false],
      ["k4", false],
    ]);
  });

  it("never count a Fly Launch machine that merely carries the keep metadata", () => {
    const impostor = machine({
      id: "m9",
      metadata: { fly_platform_version: "v2", [KEEP_METADATA_KEY]: "3.1.11" },
    });
    expect(keptImages([impostor])).toEqual([]);
  });
});
