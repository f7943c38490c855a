import { hostname, userInfo } from "node:os";
import type { CoreModule } from "./base-command.js";

/** Who this run acts as, for the freeze record: SEMFLY_ACTOR, the GitHub Actions actor, else user@host. */
export function currentActor(core: CoreModule): string {
  return core.freezeActor(process.env, { user: userInfo().username, host: hostname() });
}
