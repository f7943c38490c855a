/** A demo app after bluegreen cut-overs: what the parked-version tests share. */
import type { VersionHistory } from "@semfly/core";
import { demoHistory, machine, NOW, parkedMachine } from "./builders.js";

const HOUR = 3_600_000;
export const PARKED_UNTIL = new Date(NOW + 2 * HOUR).toISOString();
export const EXPIRED_AT = new Date(NOW - HOUR).toISOString();

/**
 * 3.2.0 live on m1 and m2; 3.1.11 parked on p1 (ams) and p2 (fra) until two hours from NOW; 3.0.0 parked
 * on p3, expired an hour ago; p9 parked on an image no version of the history has; u1 outside Fly Launch.
 */
export function parkedHistory(): VersionHistory {
  return demoHistory([
    machine("m1", "v3.2.0"),
    machine("m2", "v3.2.0", { region: "fra" }),
    parkedMachine("p1", "v3.1.11", { set: "bg-311", until: PARKED_UNTIL }),
    parkedMachine("p2", "v3.1.11", { set: "bg-311", until: PARKED_UNTIL }, { region: "fra" }),
    parkedMachine("p3", "v3.0.0", { set: "bg-300", until: EXPIRED_AT }),
    parkedMachine("p9", "v9.9.9", { set: "bg-999", until: PARKED_UNTIL }),
    machine("u1", "v3.2.0", { metadata: {} }),
  ]);
}
