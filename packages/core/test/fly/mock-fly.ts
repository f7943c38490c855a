/** Shared set-up for tests that fake Fly at the wire with undici's MockAgent. */
import { MockAgent } from "undici";
import { afterEach } from "vitest";
import { createFlyClient, type FlyClient, type FlyClientOptions } from "../../src/index.js";

export const API = "https://api.fly.io";
export const FLAPS = "https://api.machines.dev";

/** A recognisable token, so tests can prove it never leaks. */
export const SECRET_TOKEN = "semfly-test-secret-TOKEN-8c1f2e";

export interface MockFly {
  agent: MockAgent;
  api: ReturnType<MockAgent["get"]>;
  flaps: ReturnType<MockAgent["get"]>;
  client: FlyClient;
  debugLines: string[];
}

const open = new Set<MockAgent>();

/**
 * Every faked exchange a test sets up must be used: an interceptor left over means the client did not
 * make a call the test expected, or the test describes calls that never happen. Checked when the test
 * closes the agent (closing forgets the interceptors) and, for an agent left open, after each test of
 * every file that imports this module.
 */
function checkAllUsed(agent: MockAgent): void {
  if (!open.delete(agent)) return;
  agent.assertNoPendingInterceptors();
}

afterEach(async () => {
  for (const agent of [...open]) {
    checkAllUsed(agent);
    await agent.close();
  }
});

export function mockFly(options: Partial<FlyClientOptions> = {}): MockFly {
  const agent = new MockAgent();
  agent.disableNetConnect();
  open.add(agent);
  const close = agent.close.bind(agent);
  agent.close = async () => {
    checkAllUsed(agent);
    await close();
  };
  const debugLines: string[] = [];
  const client = createFlyClient({
    token: SECRET_TOKEN,
    dispatcher: agent,
    retry: { retries: 3, minDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 20 },
    debug: (line) => debugLines.push(line),
    // The limiter has its own tests; here it would only make retry tests wait for tokens.
    rateLimit: false,
    ...options,
  });
  return { agent, api: agent.get(API), flaps: agent.get(FLAPS), client, debugLines };
}

export async function caught(promise: Promise<unknown>): Promise<Record<string, unknown> & Error> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown> & Error;
  }
  throw new Error("expected the call to fail");
}

export const JSON_HEADERS = { "content-type": "application/json" };

export function machineWire(id: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    name: `machine-${id}`,
    state: "started",
    region: "cdg",
    instance_id: `01HV${id.toUpperCase()}`,
    private_ip: "fdaa:0:1::2",
    created_at: "2025-01-01T00:00:00Z",
    updated_at: "2025-01-02T00:00:00Z",
    image_ref: {
      registry: "registry.fly.io",
      repository: "my-app",
      tag: "v1.2.3",
      digest: "sha256:abc",
      labels: { "fly.version": "1.2.3" },
    },
    config: {
      image: "registry.fly.io/my-app:v1.2.3",
      guest: { cpu_kind: "shared", cpus: 1, memory_mb: 256 },
      metadata: { fly_process_group: "web", fly_release_version: "7" },
    },
    checks: [{ name: "http", status: "passing", output: "OK", updated_at: "2025-01-02T00:00:01Z" }],
    ...overrides,
  };
}

export function releaseNode(version: number, overrides: Record<string, unknown> = {}) {
  return {
    id: `rel_${version}`,
    version,
    status: "complete",
    stable: true,
    reason: "deploy",
    description: `Deploy image v${version}`,
    user: { email: "dev@example.com" },
    createdAt: "2025-01-01T00:00:00Z",
    imageRef: `registry.fly.io/my-app:v1.0.${version}`,
    image: { digest: `sha256:${version}`, ref: `registry.fly.io/my-app:v1.0.${version}` },
    metadata: null,
    ...overrides,
  };
}
