import {
  buildVersionHistory,
  type FlyMachine,
  type FlyRelease,
  planRollout,
  resolveRollbackTarget,
  type VersionHistory,
} from "../../src/index.js";
import { acmeWebHistory, digestOf, machine, release } from "../builders.js";

export const app = "acme-web";

export function onVersion(
  id: string,
  version: string,
  extra: Partial<FlyMachine> = {},
): FlyMachine {
  const image = `registry.fly.io/acme-web:${version}`;
  return machine({
    id,
    image,
    imageRef: {
      registry: "registry.fly.io",
      repository: "acme-web",
      tag: version,
      digest: digestOf(version),
      labels: {},
    },
    config: { image, metadata: { fly_process_group: extra.processGroup ?? "app" } },
    ...extra,
  });
}

/** acme-web on 3.1.12 with three machines, unless told otherwise. */
export function historyOf(
  machines: FlyMachine[] = ["m1", "m2", "m3"].map((id) => onVersion(id, "3.1.12")),
  releases: FlyRelease[] = acmeWebHistory(),
): VersionHistory {
  return buildVersionHistory({ app, releases, machines });
}

/** A rollback to 3.1.11 planned from the history, as prepareRollback plans it. */
export function rollbackFrom(history: VersionHistory, strategy: "rolling" | "canary" = "rolling") {
  const target = resolveRollbackTarget(history, { spec: "3.1.11" });
  return { history, plan: planRollout({ history, target, kind: "rollback", strategy }) };
}

export { release };
