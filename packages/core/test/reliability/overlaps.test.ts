// @module-tag slow: seconds of real waiting (see vitest.config.ts); `pnpm test:fast` skips this file.
import { scenario } from "@semfly/fly-emulator";
import { describe, expect, it } from "vitest";
import {
  createFlyClient,
  executeRollout,
  type FlyClient,
  prepareRollback,
  type RolloutEvent,
  type SemflyError,
} from "../../src/index.js";
import { FAST_TIMING } from "../rollout/world.js";
import {
  APP,
  capture,
  expectPromiseKept,
  isManaged,
  releasesInFlight,
  startWorld,
  type World,
} from "./harness.js";

/**
 * A second rollout started while a first one is at a given phase (a re-run CI job during an incident):
 * whatever it targets, it stops on the app's lock lease before it writes a release or a machine, and the
 * first one ends as if it had been alone.
 */

type Phase = "leasing" | "first batch" | "last batch" | "checking health after the last update";

const phases: Phase[] = [
  "leasing",
  "first batch",
  "last batch",
  "checking health after the last update",
];

function reached(phase: Phase, event: RolloutEvent): boolean {
  if (phase === "leasing") return event.type === "machine-leased";
  if (phase === "first batch") return event.type === "batch-started" && event.index === 0;
  if (phase === "last batch") return event.type === "batch-started" && event.index === event.of - 1;
  return false;
}

/** A client of its own, whose debug lines are what it sent. */
function clientWithLog(w: World): { client: FlyClient; sent: string[] } {
  const sent: string[] = [];
  const client = createFlyClient({
    token: w.emulator.token,
    apiBaseUrl: w.emulator.url,
    flapsBaseUrl: w.emulator.url,
    uiexBaseUrl: w.emulator.url,
    retry: { minDelayMs: 5, maxDelayMs: 50 },
    debug: (line) => sent.push(line),
  });
  return { client, sent };
}

/** Requests that change something ("POST http://… → 409 in 3ms"); semfly only queries over GraphQL. */
function mutations(lines: string[]): string[] {
  return lines
    .filter((line) => /^(POST|PATCH|DELETE|PUT) /.test(line))
    .map((line) => {
      const [method, url, , status] = line.split(" ");
      return `${method} ${new URL(url!).pathname} ${status}`;
    })
    .filter((line) => !line.startsWith("POST /graphql "));
}

/** Every machine started and checked, so each batch lasts at least the check delay. */
function threeMachineApp() {
  return scenario(APP, { seed: 3 })
    .image("1.0.0")
    .image("1.0.1")
    .image("1.0.2")
    .release({ image: "1.0.0" })
    .release({ image: "1.0.1" })
    .release({ image: "1.0.2" })
    .machines(3, { regions: ["ams", "iad", "sin"] });
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Each case has its own emulator, so they run side by side.
describe.concurrent("a second rollout started while the first one is still working", () => {
  it.each(
    phases.flatMap((phase) => [
      [phase, "the same target", "1.0.1"],
      [phase, "a different target", "1.0.0"],
    ]),
  )(
    "during %s, to %s: stops on the lock (exit 1) having changed nothing; the first completes",
    async (phase, _name, secondTarget) => {
      // Checks slow enough that the second run lands while the first still waits on them.
      const w = await startWorld({ scenario: threeMachineApp(), checkDelayMs: 1000 });
      try {
        const before = capture(w.emulator);
        const { plan } = await prepareRollback(w.client, APP, { target: { spec: "1.0.1" } });
        let signal!: () => void;
        const atPhase = new Promise<void>((resolve) => {
          signal = resolve;
        });
        const first = executeRollout(w.client, plan, {
          timing: FAST_TIMING,
          onEvent: (event) => {
            if (reached(phase as Phase, event)) signal();
          },
        });
        if (phase === "checking health after the last update") {
          // Every machine already carries the target: the second run sees it live, with a `running` record.
          for (;;) {
            const managed = w.emulator.machines(APP).filter(isManaged);
            if (managed.every((m) => m.image_ref?.digest === plan.to.digest)) break;
            await delay(5);
          }
        } else {
          await atPhase;
        }
        let secondError: unknown = null;
        const second = clientWithLog(w);
        try {
          const prepared = await prepareRollback(second.client, APP, {
            target: { spec: secondTarget },
          });
          await executeRollout(second.client, prepared.plan, { timing: FAST_TIMING });
        } catch (error) {
          secondError = error;
        }
        expect(
          secondError,
          `the second run must not succeed: ${mutations(second.sent).join("; ")}`,
        ).not.toBeNull();
        const error = secondError as SemflyError;
        // Stopped on the lock, or (same target, every machine already on it) refused as already live.
        expect(["LEASE_CONFLICT", "ALREADY_LIVE"], error.message).toContain(error.code);
        expect(error.exitCode).toBe(1);
        // It wrote nothing but the lock lease it did not get: no release, no machine, no record finished.
        const writes = mutations(second.sent);
        expect(writes.length, writes.join("; ")).toBeLessThanOrEqual(
          error.code === "ALREADY_LIVE" ? 0 : 1,
        );
        for (const write of writes) {
          expect(write).toMatch(/^POST \/v1\/apps\/[^/]+\/machines\/\w+\/lease 409$/);
        }

        const result = await first;
        await w.emulator.idle();
        expect(result.status, result.reason ?? "").toBe("complete");
        await expectPromiseKept(
          w,
          { result },
          {
            label: `first run, second during ${phase}`,
            before,
            target: plan.to.digest,
            leaseTtlSeconds: 30,
          },
        );
        expect(releasesInFlight(w)).toEqual([]);
      } finally {
        await w.close();
      }
    },
    30_000,
  );
});
