import { afterEach, describe, expect, it } from "vitest";
import { RateLimiter, type RateLimiterClock } from "../../src/fly/rate-limit.js";
import {
  FLY_MACHINES_CLIENT_LIMITS,
  FLY_MACHINES_RATE_LIMITS,
  parseRateLimits,
} from "../../src/index.js";
import { caught, type MockFly, machineWire, mockFly } from "./mock-fly.js";

/** A clock that only moves when the test says so: no real waiting, no timing flakes. */
function manualClock() {
  let now = 0;
  let timers: { at: number; fn: () => void }[] = [];
  const clock: RateLimiterClock & { advance(ms: number): Promise<void> } = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const timer = { at: now + ms, fn };
      timers.push(timer);
      return timer;
    },
    clearTimeout: (handle) => {
      timers = timers.filter((t) => t !== handle);
    },
    async advance(ms) {
      now += ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= now).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        due.fn();
      }
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
  return clock;
}

async function settled(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

describe("RateLimiter", () => {
  it("lets a burst of 3 through at once, then 1 per second, in order", async () => {
    const clock = manualClock();
    const limiter = new RateLimiter(FLY_MACHINES_RATE_LIMITS, clock);
    const order: number[] = [];
    for (let i = 0; i < 6; i++)
      void limiter.acquire("update_machine", "app/m1").then(() => order.push(i));
    await settled();
    expect(order).toEqual([0, 1, 2]);
    await clock.advance(999);
    expect(order).toEqual([0, 1, 2]);
    await clock.advance(1);
    expect(order).toEqual([0, 1, 2, 3]);
    await clock.advance(2_000);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("never exceeds burst + rate × elapsed over a long run", async () => {
    const clock = manualClock();
    const limiter = new RateLimiter(FLY_MACHINES_RATE_LIMITS, clock);
    let granted = 0;
    for (let i = 0; i < 50; i++)
      void limiter.acquire("start_machine", "app/m1").then(() => granted++);
    for (let second = 1; second <= 20; second++) {
      await clock.advance(1_000);
      expect(granted).toBeLessThanOrEqual(3 + second);
    }
    expect(granted).toBe(23);
  });

  it("keeps separate buckets per action and per machine", async () => {
    const clock = manualClock();
    const limiter = new RateLimiter(FLY_MACHINES_RATE_LIMITS, clock);
    const done: string[] = [];
    for (const [action, scope] of [
      ["update_machine", "app/m1"],
      ["update_machine", "app/m1"],
      ["update_machine", "app/m1"],
      ["update_machine", "app/m1"],
      ["update_machine", "app/m2"],
      ["start_machine", "app/m1"],
    ] as const) {
      void limiter.acquire(action, scope).then(() => done.push(`${action} ${scope}`));
    }
    await settled();
    expect(done).toHaveLength(5);
    expect(done.filter((d) => d === "update_machine app/m1")).toHaveLength(3);
  });

  it("allows Get Machine its higher burst of 10", async () => {
    const clock = manualClock();
    const limiter = new RateLimiter(FLY_MACHINES_RATE_LIMITS, clock);
    let granted = 0;
    for (let i = 0; i < 15; i++)
      void limiter.acquire("get_machine", "app/m1").then(() => granted++);
    await settled();
    expect(granted).toBe(10);
    await clock.advance(200);
    expect(granted).toBe(11);
  });

  it("drops a queued request whose signal fires, without consuming a token", async () => {
    const clock = manualClock();
    const limiter = new RateLimiter(
      { perAction: { perSecond: 1, burst: 1 }, getMachine: { perSecond: 1, burst: 1 } },
      clock,
    );
    await limiter.acquire("update_machine", "s");
    const controller = new AbortController();
    const queued = limiter.acquire(
      "update_machine",
      "s",
      controller.signal,
      () => new Error("aborted"),
    );
    let next = false;
    void limiter.acquire("update_machine", "s").then(() => {
      next = true;
    });
    controller.abort();
    await expect(queued).rejects.toThrow("aborted");
    await clock.advance(1_000);
    expect(next).toBe(true);
  });
});

it("runs the client a little under Fly's documented rates, with one request less in a burst", () => {
  expect(FLY_MACHINES_RATE_LIMITS).toEqual({
    perAction: { perSecond: 1, burst: 3 },
    getMachine: { perSecond: 5, burst: 10 },
  });
  for (const key of ["perAction", "getMachine"] as const) {
    expect(FLY_MACHINES_CLIENT_LIMITS[key].perSecond).toBeLessThan(
      FLY_MACHINES_RATE_LIMITS[key].perSecond,
    );
    expect(FLY_MACHINES_CLIENT_LIMITS[key].burst).toBe(FLY_MACHINES_RATE_LIMITS[key].burst - 1);
  }
});

describe("rate limiting in the client", () => {
  let fly: MockFly | undefined;
  afterEach(async () => {
    await fly?.agent.close();
    fly = undefined;
  });

  it("holds back a machine's excess updates while other machines proceed, and aborts cleanly", async () => {
    fly = mockFly({ rateLimit: { perAction: { perSecond: 0.001, burst: 2 } } });
    const sent: string[] = [];
    fly.flaps
      .intercept({ path: (p) => /\/machines\/m\d$/.test(p), method: "POST" })
      .reply((req) => {
        const id = req.path.split("/").pop()!;
        sent.push(id);
        return { statusCode: 200, data: machineWire(id) };
      })
      .persist();
    const controller = new AbortController();
    const update = (id: string, signal?: AbortSignal) =>
      fly!.client.updateMachine("my-app", id, { config: { image: "x" } }, { signal });
    await Promise.all([update("m1"), update("m1"), update("m2")]);
    const held = caught(update("m1", controller.signal));
    await settled();
    expect(sent.sort()).toEqual(["m1", "m1", "m2"]);
    controller.abort();
    expect(await held).toMatchObject({ code: "ABORTED", operation: "update a machine" });
    expect(sent).toHaveLength(3);
  });

  it("does not delay a single request", async () => {
    fly = mockFly({
      rateLimit: {
        perAction: { perSecond: 0.001, burst: 1 },
        getMachine: { perSecond: 0.001, burst: 1 },
      },
    });
    fly.flaps
      .intercept({ path: "/v1/apps/my-app/machines/m1", method: "GET" })
      .reply(200, machineWire("m1"));
    expect((await fly.client.getMachine("my-app", "m1")).id).toBe("m1");
  });
});

describe("client limits from SEMFLY_RATE_LIMITS", () => {
  it("reads either limit from JSON, and nothing from an empty value", () => {
    expect(parseRateLimits(undefined)).toEqual({});
    expect(parseRateLimits("")).toEqual({});
    expect(parseRateLimits('{"perAction":{"perSecond":18,"burst":3}}')).toEqual({
      perAction: { perSecond: 18, burst: 3 },
    });
    expect(
      parseRateLimits(
        '{"perAction":{"perSecond":0.5,"burst":1},"getMachine":{"perSecond":90,"burst":10}}',
      ),
    ).toEqual({
      perAction: { perSecond: 0.5, burst: 1 },
      getMachine: { perSecond: 90, burst: 10 },
    });
  });

  it.each([
    "off",
    "[]",
    '{"perMachine":{"perSecond":1,"burst":1}}',
    '{"perAction":{"perSecond":0,"burst":3}}',
    '{"perAction":{"perSecond":1,"burst":0.5}}',
    '{"perAction":{"perSecond":"1","burst":3}}',
    '{"perAction":{"perSecond":1}}',
    '{"perAction":{"perSecond":1,"burst":3,"extra":1}}',
  ])("refuses %s as bad input", (text) => {
    expect(() => parseRateLimits(text)).toThrow(
      expect.objectContaining({ code: "INVALID_RATE_LIMITS", kind: "input" }),
    );
  });
});
