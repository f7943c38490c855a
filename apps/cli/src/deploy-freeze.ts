import type { FreezeClient, VersionHistory } from "@semfly/core";
import { currentActor } from "./actor.js";
import type { CoreModule } from "./base-command.js";

/**
 * Before a deploy (or a promote) plans: refuse while the app is frozen unless `--unfreeze`; with it, lift
 * the freeze first (not on a dry run) and hand back the history read again, since the new machine configs
 * are built from the machines' metadata, which held the freeze.
 */
export async function historyForDeploy(input: {
  core: CoreModule;
  client: FreezeClient;
  app: string;
  history: VersionHistory;
  unfreeze: boolean;
  dryRun: boolean;
  now: number;
  signal: AbortSignal;
  reload: () => Promise<VersionHistory>;
  err: (text: string) => void;
}): Promise<VersionHistory> {
  const { core } = input;
  const freeze = core.historyFreeze(input.history, input.now);
  core.checkDeployAllowed(input.app, freeze, { unfreeze: input.unfreeze });
  if (!input.unfreeze || !core.isFrozen(freeze) || input.dryRun) return input.history;
  await core.unfreezeApp(input.client, input.history, {
    by: currentActor(core),
    now: input.now,
    signal: input.signal,
  });
  input.err(`Lifted the freeze on ${input.app} (was ${core.freezeLine(freeze.freeze)}).`);
  return input.reload();
}
