import { describe, expect, it } from "vitest";
import { redactingLogger, tokensGiven } from "../src/debug-logger.js";

const TOKEN = "fo1_flag_token_not_fly_shaped";

function capture(argv: string[], env: NodeJS.ProcessEnv) {
  const lines: string[] = [];
  const logger = redactingLogger(argv, env, (text) => lines.push(text));
  return { logger, lines };
}

describe("the redacting DEBUG logger", () => {
  it("finds the token by either flag spelling and in both environment variables", () => {
    expect(
      tokensGiven(["versions", "--access-token", "a1", "-t", "b2", "--access-token=c3"], {
        FLY_ACCESS_TOKEN: "d4",
        FLY_API_TOKEN: "e5",
      }),
    ).toEqual(["a1", "b2", "c3", "d4", "e5"]);
  });

  it("prints oclif's lines with the token given by flag removed", () => {
    const { logger, lines } = capture(["rollback", "--access-token", TOKEN], { DEBUG: "*" });
    logger.child("config").debug("argv %o", ["rollback", "--access-token", TOKEN]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^oclif:config argv /);
    expect(lines[0]).toContain("[REDACTED]");
    expect(lines[0]).not.toContain(TOKEN);
  });

  it("removes Fly-shaped tokens and Authorization values it was never told about", () => {
    const { logger, lines } = capture([], { DEBUG: "oclif*" });
    logger.info("header FlyV1 fm2_abc,fm2_def and fm1r_xyz and Bearer sekrit123");
    expect(lines[0]).not.toMatch(/fm2_abc|fm1r_xyz|sekrit123/);
  });

  it("prints only the namespaces DEBUG enables", () => {
    const { logger, lines } = capture([], { DEBUG: "oclif:*,-oclif:plugins" });
    logger.child("plugins").debug("hidden");
    logger.child("config").child("ts-path").warn("shown");
    expect(lines).toEqual(["oclif:config:ts-path shown\n"]);
  });
});
