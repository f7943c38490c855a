import { randomBytes } from "node:crypto";
import type { BoundPlan, VersionHistory } from "@semfly/core";
import type { Connection } from "../base-command.js";
import type { Replan } from "./context.js";
import type { ExecutionChoices } from "./execution.js";

export interface StoredPlan {
  bound: BoundPlan;
  connection: Connection;
  replan: Replan;
  /** The history the plan was made from (for its preflight). */
  history: VersionHistory;
  execution: ExecutionChoices;
}

/** Expired plans are kept this long, so that using one says "expired" rather than "unknown". */
const KEEP_EXPIRED_MS = 60 * 60_000;

/**
 * Plans of this server process only: a stdio server serves one client's session, and a plan must not
 * outlive the process that checked it.
 */
export class PlanStore {
  private readonly plans = new Map<string, StoredPlan>();

  /** Short, unguessable, and visibly a plan id. */
  newId(): string {
    return `plan_${randomBytes(6).toString("hex")}`;
  }

  add(entry: StoredPlan, now: number): void {
    for (const [id, stored] of this.plans) {
      if (stored.bound.expiresAt + KEEP_EXPIRED_MS < now) this.plans.delete(id);
    }
    this.plans.set(entry.bound.id, entry);
  }

  get(id: string): StoredPlan | undefined {
    return this.plans.get(id);
  }

  /** A plan runs at most once: executing (or trying to) uses it up. */
  take(id: string): StoredPlan | undefined {
    const entry = this.plans.get(id);
    this.plans.delete(id);
    return entry;
  }
}
