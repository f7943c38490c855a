/**
 * `semfly promote VERSION --from STAGING --to APP`: the staging version's exact digest, deployed into the
 * target app through the usual deploy path (strategies, guards, freeze), its release naming where it came from.
 */
import { inputError } from "../errors.js";
import type { FlyClient } from "../fly/client.js";
import type { RegistryClient } from "../registry/client.js";
import type { RolloutStrategy } from "../rollout/plan.js";
import type { VersionEntry, VersionHistory } from "../versions/history.js";
import {
  checkPromotable,
  checkSameOrganization,
  type PromotedFrom,
  promotedImageRef,
} from "../versions/promote.js";
import { lookupVersion } from "../versions/target.js";
import { loadVersionHistory } from "./load-history.js";
import { type PrepareClient, type PreparedRollout, prepareDeploy } from "./prepare.js";

export type PromoteClient = PrepareClient & Pick<FlyClient, "appOrganization">;

export interface PromoteSource {
  staging: VersionHistory;
  entry: VersionEntry;
  promotedFrom: PromotedFrom;
  imageRef: string;
}

/** Resolve VERSION in the staging app and check it may be promoted into `targetApp`. Sends no mutation. */
export async function resolvePromoteSource(
  client: PromoteClient,
  input: { from: string; to: string; version: string; force?: boolean; signal?: AbortSignal },
): Promise<PromoteSource> {
  const call = { signal: input.signal };
  const [staging, stagingOrg, targetOrg] = await Promise.all([
    loadVersionHistory(client, input.from, call),
    client.appOrganization(input.from, call),
    client.appOrganization(input.to, call),
  ]);
  // Across organisations nothing can work, forced or not: checked before the version itself.
  checkSameOrganization({ app: input.from, org: stagingOrg }, { app: input.to, org: targetOrg });
  const entry = lookupVersion(staging, input.version, { rangeVerb: "to promote" });
  const promotedFrom = checkPromotable(input.from, entry, { force: input.force });
  return {
    staging,
    entry,
    promotedFrom,
    imageRef: promotedImageRef(input.from, entry, promotedFrom.digest),
  };
}

/** Plan the deploy of a resolved staging version into the target app, recording `promotedFrom`. */
export async function preparePromote(
  client: PromoteClient,
  source: PromoteSource,
  input: {
    to: string;
    history?: VersionHistory;
    allowDowngrade?: boolean;
    registry?: Pick<RegistryClient, "resolve" | "copyImage"> | null;
    strategy?: RolloutStrategy;
    maxUnavailable?: number;
    reason?: string | null;
    signal?: AbortSignal;
    skipUnreachable?: boolean;
    verifyCold?: boolean;
  },
): Promise<PreparedRollout> {
  const version = source.entry.version;
  if (!version) {
    throw inputError(
      "PROMOTE_UNVERSIONED",
      `${source.entry.key} in ${source.promotedFrom.app} has no semver version to deploy it as.`,
      "Promote a versioned image (one with a version label or a semfly release).",
    );
  }
  const prepared = await prepareDeploy(client, input.to, {
    ...(input.history ? { history: input.history } : {}),
    version,
    imageRef: source.imageRef,
    // The version is what staging's history calls this digest; whether the image's own tag or label
    // agreed was that deploy's guard (a staging deploy with --force-version stays promotable). The
    // immutability guards still hold in the target.
    forceVersion: true,
    ...(input.allowDowngrade !== undefined ? { allowDowngrade: input.allowDowngrade } : {}),
    ...(input.registry !== undefined ? { registry: input.registry } : {}),
    ...(input.strategy ? { strategy: input.strategy } : {}),
    ...(input.maxUnavailable !== undefined ? { maxUnavailable: input.maxUnavailable } : {}),
    reason: input.reason ?? `promoted from ${source.promotedFrom.app}`,
    ...(input.skipUnreachable !== undefined ? { skipUnreachable: input.skipUnreachable } : {}),
    ...(input.verifyCold !== undefined ? { verifyCold: input.verifyCold } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
  });
  return {
    ...prepared,
    plan: {
      ...prepared.plan,
      recordMetadata: { ...prepared.plan.recordMetadata, promotedFrom: source.promotedFrom },
    },
  };
}
