import { SemflyError, type VersionHistory } from "@semfly/core";
import { describe, expect, it } from "vitest";
import { VersionsModel } from "../../../src/model/versionsModel.js";
import { demoHistory, NOW, plainEmitters } from "../builders.js";

const web = { name: "acme-web", sources: [{ kind: "setting" as const }] };
const worker = {
  name: "acme-worker",
  sources: [{ kind: "fly.toml" as const, file: "/ws/worker/fly.toml" }],
};

/** A loader whose answers the test releases one by one. */
function controlledLoader() {
  const pending: {
    app: string;
    signal: AbortSignal;
    resolve: (h: VersionHistory) => void;
    reject: (e: unknown) => void;
  }[] = [];
  const load = (app: string, signal: AbortSignal) =>
    new Promise<VersionHistory>((resolve, reject) =>
      pending.push({ app, signal, resolve, reject }),
    );
  return { load, pending };
}

describe("VersionsModel", () => {
  it("loads an app's history and says when it changed", async () => {
    const model = new VersionsModel({
      load: async () => demoHistory(),
      emitters: plainEmitters,
      now: () => NOW,
    });
    let changes = 0;
    model.onDidChange(() => changes++);
    model.setApps([web]);
    await model.refresh();
    expect(model.get("acme-web")?.load).toMatchObject({ state: "loaded", loadedAt: NOW });
    expect(model.history("acme-web")?.live?.version).toBe("3.2.0");
    // setApps, loading, loaded
    expect(changes).toBe(3);
  });

  it("turns a failed load into the app's error state, keeping the last history", async () => {
    let fail = false;
    const model = new VersionsModel({
      load: async () => {
        if (fail)
          throw new SemflyError({
            code: "UNAUTHORIZED",
            message: "Fly rejected the token.",
            suggestion: "Sign in again.",
          });
        return demoHistory();
      },
      emitters: plainEmitters,
    });
    model.setApps([web]);
    await model.refresh();
    fail = true;
    await model.refresh("acme-web");
    expect(model.get("acme-web")?.load).toMatchObject({
      state: "error",
      error: {
        message: "Fly rejected the token.",
        suggestion: "Sign in again.",
        code: "UNAUTHORIZED",
      },
    });
    expect(model.history("acme-web")?.app).toBe("acme-web");
  });

  it("lets a newer refresh win over an older one still in flight", async () => {
    const { load, pending } = controlledLoader();
    const model = new VersionsModel({ load, emitters: plainEmitters });
    model.setApps([web]);
    const first = model.refresh();
    const second = model.refresh();
    expect(pending).toHaveLength(2);
    expect(pending[0]?.signal.aborted).toBe(true);
    pending[1]?.resolve(demoHistory());
    pending[0]?.resolve({ ...demoHistory(), app: "stale" });
    await Promise.all([first, second]);
    expect(model.history("acme-web")?.app).toBe("acme-web");
  });

  it("keeps histories of apps that stay when the app list changes, and drops the others", async () => {
    const model = new VersionsModel({
      load: async (app) => ({ ...demoHistory(), app }),
      emitters: plainEmitters,
    });
    model.setApps([web, worker]);
    await model.refresh();
    const added = model.setApps([worker, { name: "acme-admin", sources: [{ kind: "setting" }] }]);
    expect(added).toEqual(["acme-admin"]);
    expect(model.apps.map((a) => [a.app.name, a.load.state])).toEqual([
      ["acme-worker", "loaded"],
      ["acme-admin", "idle"],
    ]);
  });

  it("forgets every history when cleared (signing out) and abandons loads in flight", async () => {
    const { load, pending } = controlledLoader();
    const model = new VersionsModel({ load, emitters: plainEmitters });
    model.setApps([web]);
    const refreshing = model.refresh();
    model.clear();
    expect(pending[0]?.signal.aborted).toBe(true);
    pending[0]?.resolve(demoHistory());
    await refreshing;
    expect(model.get("acme-web")?.load).toEqual({ state: "idle" });
  });

  it("takes the workspace's own app from a fly.toml before the setting's", () => {
    const model = new VersionsModel({ load: async () => demoHistory(), emitters: plainEmitters });
    model.setApps([web, worker]);
    expect(model.primaryApp?.app.name).toBe("acme-worker");
    model.setApps([web]);
    expect(model.primaryApp?.app.name).toBe("acme-web");
  });
});

describe("the history an operation plans from", () => {
  function countingModel(now: { value: number }, fail?: () => unknown) {
    let loads = 0;
    const model = new VersionsModel({
      load: async () => {
        loads++;
        const error = fail?.();
        if (error) throw error;
        return demoHistory();
      },
      emitters: plainEmitters,
      now: () => now.value,
    });
    model.setApps([web]);
    return { model, loads: () => loads };
  }

  it("is the view's own history while it is fresh: nothing is loaded again", async () => {
    const now = { value: NOW };
    const { model, loads } = countingModel(now);
    await model.refresh();
    now.value = NOW + 29_000;
    const history = await model.historyForPlan("acme-web", 30_000);
    expect(history).toBe(model.history("acme-web"));
    expect(loads()).toBe(1);
  });

  it("is loaded again, through the model, once older than allowed, and the view shows the new one", async () => {
    const now = { value: NOW };
    const { model, loads } = countingModel(now);
    await model.refresh();
    now.value = NOW + 31_000;
    const history = await model.historyForPlan("acme-web", 30_000);
    expect(loads()).toBe(2);
    expect(model.get("acme-web")?.load).toMatchObject({ state: "loaded", loadedAt: NOW + 31_000 });
    expect(model.history("acme-web")).toBe(history);
  });

  it("is loaded when the app was never loaded", async () => {
    const { model, loads } = countingModel({ value: NOW });
    expect((await model.historyForPlan("acme-web", 30_000)).live?.version).toBe("3.2.0");
    expect(loads()).toBe(1);
  });

  it("rejects with the load's own error, which the view shows too", async () => {
    const refused = new SemflyError({ code: "UNAUTHORIZED", message: "Fly rejected the token." });
    const { model } = countingModel({ value: NOW }, () => refused);
    await expect(model.historyForPlan("acme-web", 30_000)).rejects.toBe(refused);
    expect(model.get("acme-web")?.load).toMatchObject({ state: "error" });
  });

  it("refuses an app that is not in the view", async () => {
    const { model } = countingModel({ value: NOW });
    await expect(model.historyForPlan("acme-api", 30_000)).rejects.toMatchObject({
      code: "APP_NOT_SHOWN",
    });
  });

  it("asks once more when a refresh aborted its load, and plans from that answer", async () => {
    const { load, pending } = controlledLoader();
    const model = new VersionsModel({ load, emitters: plainEmitters, now: () => NOW });
    model.setApps([web]);
    const planned = model.historyForPlan("acme-web", 30_000);
    void model.refresh("acme-web");
    expect(pending.map((p) => p.signal.aborted)).toEqual([true, false]);
    pending[0]!.reject(new Error("aborted"));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(pending).toHaveLength(3);
    const fresh = demoHistory();
    pending[2]!.resolve(fresh);
    expect(await planned).toBe(fresh);
    expect(model.history("acme-web")).toBe(fresh);
  });
});
