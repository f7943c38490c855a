import { MockAgent } from "undici";
import { describe, expect, it } from "vitest";
import { createRegistryClient } from "../../src/index.js";

const TOKEN = "fm2_registry-wire-secret-5d2a";
const D = `sha256:${"b".repeat(64)}`;
const basic = `Basic ${Buffer.from(`x:${TOKEN}`).toString("base64")}`;

function registry(agent: MockAgent, lines: string[] = []) {
  return createRegistryClient({
    flyToken: `FlyV1 ${TOKEN}`,
    dispatcher: agent,
    dockerConfig: { env: { DOCKER_CONFIG: "/nonexistent/semfly-test" } },
    debug: (line) => lines.push(line),
  });
}

describe("registry auth on the wire", () => {
  it("sends registry.fly.io Basic x:<token> up front, without the FlyV1 prefix", async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get("https://registry.fly.io")
      .intercept({
        method: "HEAD",
        path: `/v2/acme-web/manifests/${D}`,
        headers: { authorization: basic },
      })
      .reply(200, "", {
        headers: {
          "docker-content-digest": D,
          "content-type": "application/vnd.oci.image.manifest.v1+json",
        },
      });
    expect(await registry(agent).checkDigest(`registry.fly.io/acme-web@${D}`, D)).toEqual({
      status: "found",
      digest: D,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
    });
  });

  // Whether registry.fly.io takes Basic directly or answers with a token realm is not documented: both work.
  it("follows a Bearer challenge from registry.fly.io with the same Basic credentials at the realm", async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const fly = agent.get("https://registry.fly.io");
    fly.intercept({ method: "HEAD", path: `/v2/acme-web/manifests/${D}` }).reply(401, "", {
      headers: {
        "www-authenticate":
          'Bearer realm="https://registry.fly.io/token",service="registry.fly.io"',
      },
    });
    fly
      .intercept({
        method: "GET",
        path: "/token?service=registry.fly.io&scope=repository%3Aacme-web%3Apull",
        headers: { authorization: basic },
      })
      .reply(200, { token: "bearer-from-realm-77" });
    fly
      .intercept({
        method: "HEAD",
        path: `/v2/acme-web/manifests/${D}`,
        headers: { authorization: "Bearer bearer-from-realm-77" },
      })
      .reply(404, "");
    const lines: string[] = [];
    const answer = await registry(agent, lines).checkDigest(`registry.fly.io/acme-web@${D}`, D);
    expect(answer).toEqual({
      status: "missing",
      detail: `registry.fly.io has no manifest ${D} in acme-web (HTTP 404)`,
    });
    expect(lines.join("\n")).not.toMatch(/bearer-from-realm-77|registry-wire-secret/);
  });

  it("answers unreachable, not missing, when the registry cannot be reached", async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get("https://registry.fly.io")
      .intercept({ method: "HEAD", path: `/v2/acme-web/manifests/${D}` })
      .replyWithError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
    const answer = await registry(agent).checkDigest(`registry.fly.io/acme-web@${D}`, D);
    expect(answer).toEqual({
      status: "unreachable",
      reason: "Could not reach registry.fly.io: ECONNREFUSED",
    });
  });
});
