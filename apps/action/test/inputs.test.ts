import { describe, expect, it } from "vitest";
import { type CliAbilities, cliArguments, readRequest } from "../src/inputs.js";

const ROLLOUT_FLAGS = [
  "app",
  "json",
  "yes",
  "dry-run",
  "strategy",
  "max-unavailable",
  "wait-timeout",
  "reason",
];
const abilities: CliAbilities = {
  commands: {
    deploy: {
      flags: Object.fromEntries([...ROLLOUT_FLAGS, "image", "unfreeze"].map((f) => [f, {}])),
    },
    rollback: { flags: Object.fromEntries([...ROLLOUT_FLAGS, "freeze"].map((f) => [f, {}])) },
    status: { flags: { app: {}, json: {} } },
    verify: { flags: { app: {}, json: {}, gate: {}, probe: {}, bake: {} } },
  },
};
const request = (inputs: Record<string, string>) => readRequest((name) => inputs[name] ?? "");

describe("the action's inputs as semfly arguments", () => {
  it("passes a deploy's version, image and flags through, with --json and --yes", () => {
    expect(
      cliArguments(
        request({
          command: "deploy",
          version: "3.2.0",
          image: "registry.fly.io/acme-web:3.2.0",
          strategy: "canary",
          "wait-timeout": "90s",
          unfreeze: "true",
          app: "acme-web",
        }),
        abilities,
      ),
    ).toEqual([
      "deploy",
      "3.2.0",
      "--image",
      "registry.fly.io/acme-web:3.2.0",
      "--app",
      "acme-web",
      "--json",
      "--yes",
      "--strategy",
      "canary",
      "--wait-timeout",
      "90s",
      "--unfreeze",
    ]);
  });

  it("rolls back to the given version, and skips the freeze only when told", () => {
    expect(cliArguments(request({ command: "rollback", version: "3.1.11" }), abilities)).toEqual([
      "rollback",
      "3.1.11",
      "--json",
      "--yes",
    ]);
    expect(
      cliArguments(request({ command: "rollback", freeze: "false", "dry-run": "true" }), abilities),
    ).toEqual(["rollback", "--json", "--yes", "--dry-run", "--no-freeze"]);
  });

  it.each([
    [
      { command: "deploy", version: "3.2.0" },
      "command: deploy needs both the version and the image inputs.",
    ],
    [{ command: "rollback", freeze: "maybe" }, 'Input freeze must be true or false, not "maybe".'],
    [{ command: "" }, "Input command must be one of deploy, rollback, verify, versions, status."],
  ])("refuses %j", (inputs, message) => {
    expect(() => request(inputs)).toThrow(message);
  });

  it("refuses a flag this build of semfly lacks instead of dropping it", () => {
    expect(() =>
      cliArguments(request({ command: "rollback", "bake-window": "10m" }), abilities),
    ).toThrow(
      "Input bake-window is not supported by `semfly rollback` in this build (it has no --bake flag).",
    );
  });

  it("gives verify one --gate and one --probe per line, and the bake window as --bake", () => {
    expect(
      cliArguments(
        request({
          command: "verify",
          version: "3.1.11",
          gates: "a < 1\n\n  b > 2  ",
          probes: "https://acme-web.fly.dev/healthz per-machine",
          "bake-window": "5m",
        }),
        abilities,
      ),
    ).toEqual([
      "verify",
      "--json",
      "--gate",
      "a < 1",
      "--gate",
      "b > 2",
      "--probe",
      "https://acme-web.fly.dev/healthz per-machine",
      "--bake",
      "5m",
    ]);
  });
});
