import { describe, expect, it } from "vitest";
import {
  buildVersionHistory,
  configForRelease,
  type FlyMachine,
  planRollout,
  type RolloutStrategy,
  resolveRollbackTarget,
} from "../../src/index.js";
import { acmeWebHistory, digestOf, machine } from "../builders.js";

const app = "acme-web";

function onVersion(id: string, version: string, extra: Partial<FlyMachine> = {}): FlyMachine {
  const image = `registry.fly.io/acme-web:${version}`;
  return machine({
    id,
    image,
    imageRef: {
      registry: "registry.fly.io",
      repository: "acme-web",
      tag: version,
      digest: digestOf(version),
      labels: {},
    },
    config: {
      image,
      guest: { cpus: 1, memory_mb: 256 },
      env: { PORT: "8080" },
      metadata: { fly_process_group: extra.processGroup ?? "app", fly_release_version: "27" },
    },
    ...extra,
  });
}

function fleet(count: number): FlyMachine[] {
  return Array.from({ length: count }, (_, i) =>
    onVersion(`m${String(i).padStart(2, "0")}`, "3.1.12"),
  );
}

function plan(
  machines: FlyMachine[],
  strategy: RolloutStrategy = "rolling",
  maxUnavailable?: number,
) {
  const history = buildVersionHistory({ app, releases: acmeWebHistory(), machines });
  const target = resolveRollbackTarget(history, { spec: "3.1.11" });
  return planRollout({
    history,
    target,
    kind: "rollback",
    strategy,
    ...(maxUnavailable !== undefined ? { maxUnavailable } : {}),
  });
}

describe("planning a rollout", () => {
  it.each<[RolloutStrategy, number | undefined, number, number[]]>([
    // One machine alone first (flyctl's spearhead), then flyctl's default max-unavailable 0.33 of the
    // group's 10 machines, rounded up: batches of 4.
    ["rolling", undefined, 10, [1, 4, 4, 1]],
    ["rolling", 0.5, 10, [1, 5, 4]],
    ["rolling", 2, 5, [1, 2, 2]],
    ["rolling", 0.01, 3, [1, 1, 1]],
    ["canary", undefined, 10, [1, 4, 4, 1]],
    ["immediate", undefined, 10, [10]],
  ])(
    "%s with max-unavailable %s over %i machines makes batches %j",
    (strategy, max, count, sizes) => {
      expect(plan(fleet(count), strategy, max).batches.map((b) => b.length)).toEqual(sizes);
    },
  );

  it("changes only the image, pinned by digest, and keeps the rest of each config", () => {
    const planned = plan([onVersion("m1", "3.1.12")]);
    const [only] = planned.machines;
    expect(planned.to.image).toBe(`registry.fly.io/acme-web@${digestOf("3.1.11")}`);
    expect(only?.targetConfig).toEqual({
      ...only?.currentConfig,
      image: `registry.fly.io/acme-web@${digestOf("3.1.11")}`,
    });
    expect(only?.configSource).toBe("current");
  });

  it("writes flyctl's release keys into the machine metadata", () => {
    const config = configForRelease(plan([onVersion("m1", "3.1.12")]).machines[0]!.targetConfig, {
      id: "rel_28",
      version: 28,
    });
    expect(config.metadata).toEqual({
      fly_process_group: "app",
      fly_release_version: "28",
      fly_release_id: "rel_28",
    });
  });

  it("skips machines already on the target digest, so a re-run converges", () => {
    const planned = plan([onVersion("m1", "3.1.11"), onVersion("m2", "3.1.12")]);
    expect(planned.machines.map((m) => m.id)).toEqual(["m2"]);
    expect(planned.skipped).toMatchObject([{ id: "m1", reason: "already on the target digest" }]);
  });

  it("covers every app process group and leaves flyctl's release-command machines alone", () => {
    const planned = plan([
      onVersion("a1", "3.1.12"),
      onVersion("w1", "3.1.12", { processGroup: "worker" }),
      onVersion("rc", "3.1.12", { processGroup: "fly_app_release_command" }),
    ]);
    expect(planned.machines.map((m) => [m.id, m.processGroup])).toEqual([
      ["a1", "app"],
      ["w1", "worker"],
    ]);
  });

  it("puts started machines before stopped ones and picks a started canary", () => {
    const planned = plan(
      [
        onVersion("a", "3.1.12", { state: "stopped" }),
        onVersion("b", "3.1.12"),
        onVersion("c", "3.1.12"),
      ],
      "canary",
    );
    expect(planned.batches).toEqual([["b"], ["c"], ["a"]]);
  });

  it("describes the move from the live version to the target", () => {
    const planned = plan(fleet(2));
    expect(planned.from).toEqual({ key: "3.1.12", version: "3.1.12", digest: digestOf("3.1.12") });
    expect(planned.to).toMatchObject({
      key: "3.1.11",
      version: "3.1.11",
      digest: digestOf("3.1.11"),
    });
    expect(planned.kind).toBe("rollback");
  });

  it.each([0, -1, 1.5, Number.NaN])("refuses max-unavailable %s", (value) => {
    expect(() => plan(fleet(2), "rolling", value)).toThrow(/--max-unavailable/);
  });

  it("restores a machine's historical config with --with-config and keeps its process group", () => {
    const history = buildVersionHistory({
      app,
      releases: acmeWebHistory(),
      machines: [onVersion("m1", "3.1.12")],
    });
    const target = resolveRollbackTarget(history, { spec: "3.1.11" });
    const old = {
      image: "registry.fly.io/acme-web:v3.1.11",
      guest: { cpus: 2, memory_mb: 512 },
      metadata: {},
    };
    const planned = planRollout({
      history,
      target,
      kind: "rollback",
      withConfig: true,
      historicalConfigs: new Map([["m1", old]]),
    });
    expect(planned.machines[0]?.configSource).toBe("history");
    expect(planned.machines[0]?.targetConfig).toEqual({
      image: `registry.fly.io/acme-web@${digestOf("3.1.11")}`,
      guest: { cpus: 2, memory_mb: 512 },
      metadata: { fly_process_group: "app" },
    });
  });
});

describe("planning on real Fly machines", () => {
  it("marks stopped, suspended and standby machines cold, and started, starting and failed ones not", () => {
    const planned = plan([
      onVersion("a", "3.1.12"),
      onVersion("b", "3.1.12", { state: "stopped" }),
      onVersion("c", "3.1.12", { state: "suspended" }),
      onVersion("d", "3.1.12", { state: "failed" }),
      onVersion("e", "3.1.12", {
        state: "stopped",
        config: { image: "registry.fly.io/acme-web:3.1.12", standbys: ["a"] },
      }),
      onVersion("f", "3.1.12", {
        state: "started",
        config: { image: "registry.fly.io/acme-web:3.1.12", standbys: ["a"] },
      }),
    ]);
    const cold = Object.fromEntries(planned.machines.map((m) => [m.id, m.cold]));
    expect(cold).toEqual({ a: false, b: true, c: true, d: false, e: true, f: true });
  });

  it("never plans a machine on an unreachable host, and skips it only when told", () => {
    const machines = [
      onVersion("a", "3.1.12"),
      onVersion("u", "3.1.12", { hostStatus: "unreachable", configIncomplete: true }),
    ];
    const history = buildVersionHistory({ app, releases: acmeWebHistory(), machines });
    const target = resolveRollbackTarget(history, { spec: "3.1.11" });
    const refused = planRollout({ history, target, kind: "rollback" });
    expect(refused.machines.map((m) => m.id)).toEqual(["a"]);
    expect(refused.unreachable.map((m) => m.id)).toEqual(["u"]);
    expect(refused.skipped).toEqual([]);
    const skipping = planRollout({ history, target, kind: "rollback", skipUnreachable: true });
    expect(skipping.skipped.map((m) => m.id)).toEqual(["u"]);
  });

  it("picks one representative to verify only for a group whose machines are all cold and have checks", () => {
    const withChecks = (id: string, state: string, processGroup = "app") =>
      onVersion(id, "3.1.12", {
        state,
        processGroup,
        config: {
          image: "registry.fly.io/acme-web:3.1.12",
          services: [{ internal_port: 8080, checks: [{ type: "http", path: "/healthz" }] }],
          metadata: { fly_process_group: processGroup },
        },
      });
    const allCold = plan([withChecks("a1", "stopped"), withChecks("a2", "suspended")]);
    expect(allCold.verifyCold).toEqual(["a1"]);
    expect(allCold.batches).toEqual([["a1"], ["a2"]]);
    const oneRunning = plan([withChecks("a1", "stopped"), withChecks("a2", "started")]);
    expect(oneRunning.verifyCold).toEqual([]);
    const noChecks = plan([onVersion("w1", "3.1.12", { state: "stopped" })]);
    expect(noChecks.verifyCold).toEqual([]);
  });

  it("lists machines outside Fly Launch management as not managed", () => {
    const planned = plan([
      onVersion("a", "3.1.12"),
      onVersion("x", "3.1.12", { metadata: {} }),
      onVersion("r", "3.1.12", {
        metadata: { fly_platform_version: "v2", process_group: "release_command" },
      }),
    ]);
    expect(planned.machines.map((m) => m.id)).toEqual(["a"]);
    expect(planned.unmanaged.map((m) => [m.id, m.reason])).toEqual([
      ["x", "not a Fly Launch machine"],
      ["r", "a release command machine"],
    ]);
  });
});
