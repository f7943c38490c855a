/** `$APP`, `$MACHINES`, `$BASELINE` in a gate's query. Pure. */
import type { GateScope } from "./types.js";

/**
 * Machine ids become a regex alternation for `instance=~"$MACHINES"`. An empty set becomes a pattern that
 * matches no machine, so a query about "the rest" when nothing is left has no data rather than all data.
 */
function alternation(ids: readonly string[]): string {
  if (ids.length === 0) return "^$";
  // Fly machine ids are hex, so they need no escaping inside a PromQL regex.
  return ids.join("|");
}

export function substituteQuery(query: string, scope: GateScope): string {
  return query
    .replaceAll("$APP", scope.app)
    .replaceAll("$MACHINES", alternation(scope.changed))
    .replaceAll("$BASELINE", alternation(scope.baseline));
}
