import type { FlyClient } from "../fly/client.js";

/**
 * The part of the Fly client the rollout engine uses. Naming the subset keeps the engine's needs visible
 * (and shows that a dry run, which only plans, needs none of the mutating calls).
 */
export type RolloutClient = Pick<
  FlyClient,
  | "resolveImage"
  | "createRelease"
  | "updateRelease"
  | "getMachine"
  | "listMachines"
  | "updateMachine"
  | "startMachine"
  | "stopMachine"
  | "suspendMachine"
  | "patchMachineMetadata"
  | "machineEvents"
  | "createMachine"
  | "destroyMachine"
  | "setCordon"
  | "listMachineVersions"
  | "waitForState"
  | "acquireLease"
  | "refreshLease"
  | "releaseLease"
  | "readLease"
  | "releasesPage"
>;
