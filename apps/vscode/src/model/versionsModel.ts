import { isSemflyError, redact, SemflyError, type VersionHistory } from "@semfly/core";
import type { AppRef } from "../apps/mergeApps.js";
import type { Disposable, Emitter, EmitterFactory, Event } from "./events.js";

export interface LoadError {
  message: string;
  suggestion?: string | undefined;
  code?: string | undefined;
}

export type AppLoad =
  | { state: "idle" }
  /** `previous` keeps the last history on screen while a refresh runs. */
  | { state: "loading"; previous: VersionHistory | undefined }
  | { state: "loaded"; history: VersionHistory; loadedAt: number }
  | { state: "error"; error: LoadError; previous: VersionHistory | undefined };

export interface AppState {
  app: AppRef;
  load: AppLoad;
}

/** What one load gave its caller; `superseded` when a newer load, a removal or a sign-out took over. */
type LoadOutcome = { history: VersionHistory } | { error: unknown } | { superseded: true };

/** Loads one app's history; aborting the signal abandons the load. */
export type HistoryLoader = (app: string, signal: AbortSignal) => Promise<VersionHistory>;

export interface VersionsModelOptions {
  load: HistoryLoader;
  emitters: EmitterFactory;
  now?: () => number;
}

/**
 * The data behind the view and the status bar: which apps, and each app's version history. It owns the
 * loads (one at a time per app, a newer one aborting the older) and says when something changed.
 * Providers only read it.
 */
export class VersionsModel implements Disposable {
  private states: AppState[] = [];
  private readonly inFlight = new Map<string, AbortController>();
  private readonly changed: Emitter<void>;
  private readonly now: () => number;
  private readonly loader: HistoryLoader;
  private disposed = false;

  /** Fires after the app list or any app's load state changed. */
  readonly onDidChange: Event<void>;

  constructor(options: VersionsModelOptions) {
    this.loader = options.load;
    this.now = options.now ?? Date.now;
    this.changed = options.emitters<void>();
    this.onDidChange = this.changed.event;
  }

  get apps(): readonly AppState[] {
    return this.states;
  }

  get(app: string): AppState | undefined {
    return this.states.find((state) => state.app.name === app);
  }

  /** The newest history known for an app, even while a refresh runs or after it failed. */
  history(app: string): VersionHistory | undefined {
    const load = this.get(app)?.load;
    return load ? latestHistory(load) : undefined;
  }

  /** The workspace's own app: the first one a fly.toml names, else the first configured one. */
  get primaryApp(): AppState | undefined {
    return (
      this.states.find((state) => state.app.sources.some((s) => s.kind === "fly.toml")) ??
      this.states[0]
    );
  }

  /** Replace the app list; apps that stay keep their histories. Returns the names that are new. */
  setApps(apps: readonly AppRef[]): string[] {
    const before = new Map(this.states.map((state) => [state.app.name, state]));
    const added: string[] = [];
    this.states = apps.map((app) => {
      const existing = before.get(app.name);
      before.delete(app.name);
      if (existing) return { app, load: existing.load };
      added.push(app.name);
      return { app, load: { state: "idle" } };
    });
    for (const removed of before.keys()) this.abort(removed);
    this.changed.fire();
    return added;
  }

  /**
   * The history to plan an operation from: the loaded one when it is at most `maxAgeMs` old (what the
   * user is looking at), else a new load through the same loader, whose release cache makes it cheap.
   * Rejects with the load's own error, so the command reports core's message and suggestion.
   */
  async historyForPlan(app: string, maxAgeMs: number): Promise<VersionHistory> {
    const load = this.get(app)?.load;
    if (load?.state === "loaded" && this.now() - load.loadedAt <= maxAgeMs) return load.history;
    let outcome = await this.load(app);
    // A refresh that started meanwhile aborted this load: ask once more rather than fail the command.
    if (outcome && "superseded" in outcome) outcome = await this.load(app);
    if (!outcome) {
      throw new SemflyError({
        code: "APP_NOT_SHOWN",
        message: `${app} is not one of the apps in the Fly Versions view.`,
      });
    }
    if ("superseded" in outcome) {
      throw new SemflyError({
        code: "HISTORY_RELOADING",
        message: `The history of ${app} was reloaded twice while it was being read; nothing was changed.`,
        suggestion: "Try again.",
      });
    }
    if ("error" in outcome) throw outcome.error;
    return outcome.history;
  }

  /** Reload one app, or every app. Never rejects: a failure becomes the app's error state. */
  async refresh(app?: string): Promise<void> {
    const names = app === undefined ? this.states.map((s) => s.app.name) : [app];
    await Promise.all(names.map((name) => this.load(name)));
  }

  /** Forget every history (after signing out) and stop the loads in flight. */
  clear(): void {
    for (const name of [...this.inFlight.keys()]) this.abort(name);
    this.states = this.states.map((state) => ({ app: state.app, load: { state: "idle" } }));
    this.changed.fire();
  }

  dispose(): void {
    this.disposed = true;
    for (const name of [...this.inFlight.keys()]) this.abort(name);
    this.changed.dispose();
  }

  /** Loads one app; resolves with what the load gave, or undefined when the app is not in the model. */
  private async load(name: string): Promise<LoadOutcome | undefined> {
    if (!this.get(name) || this.disposed) return undefined;
    this.abort(name);
    const controller = new AbortController();
    this.inFlight.set(name, controller);
    this.update(name, { state: "loading", previous: this.history(name) });
    let next: AppLoad;
    let outcome: LoadOutcome;
    try {
      const history = await this.loader(name, controller.signal);
      next = { state: "loaded", history, loadedAt: this.now() };
      outcome = { history };
    } catch (error) {
      next = { state: "error", error: toLoadError(error), previous: this.history(name) };
      outcome = { error };
    }
    // A newer load, a removal or a sign-out took over while this one ran: its answer is stale.
    if (controller.signal.aborted || this.inFlight.get(name) !== controller) {
      return { superseded: true };
    }
    this.inFlight.delete(name);
    this.update(name, next);
    return outcome;
  }

  private abort(name: string): void {
    this.inFlight.get(name)?.abort();
    this.inFlight.delete(name);
  }

  private update(name: string, load: AppLoad): void {
    if (this.disposed) return;
    this.states = this.states.map((state) =>
      state.app.name === name ? { ...state, load } : state,
    );
    this.changed.fire();
  }
}

/** The newest history a load state holds: the loaded one, or the one kept through a refresh or failure. */
export function latestHistory(load: AppLoad): VersionHistory | undefined {
  if (load.state === "loaded") return load.history;
  if (load.state === "loading" || load.state === "error") return load.previous;
  return undefined;
}

export function toLoadError(error: unknown): LoadError {
  if (isSemflyError(error)) {
    return { message: error.message, suggestion: error.suggestion, code: error.code };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { message: redact(message) };
}
