import { MAX_LEASE_TTL_SECONDS, MIN_LEASE_TTL_SECONDS } from "@semfly/core";
import { z } from "zod";

/** Tool inputs. Names are snake_case, as MCP tools usually spell them; each maps to a CLI flag. */

const app = z
  .string()
  .min(1)
  .optional()
  .describe("Fly app name (default: the server's --app, then FLY_APP, then `app` in ./fly.toml).");

export const appInput = { app };

export const diffInput = {
  app,
  a: z
    .string()
    .min(1)
    .describe(
      "The version to compare from: a version, a range, live, previous or an image digest.",
    ),
  b: z
    .string()
    .min(1)
    .optional()
    .describe("The version to compare to (default: the live version)."),
};

export const showConfigInput = {
  app,
  version: z
    .string()
    .min(1)
    .describe(
      "A version, a range, live, previous or an image digest (as `semfly diff` takes them).",
    ),
};

const rolloutChoices = {
  strategy: z
    .enum(["rolling", "canary", "immediate"])
    .optional()
    .describe("How machines are replaced, as flyctl names it (default rolling)."),
  max_unavailable: z
    .number()
    .positive()
    .optional()
    .describe("Machines changed at once: a fraction below 1 (default 0.33) or a whole count."),
  reason: z.string().max(500).optional().describe("Why: recorded on the Fly release."),
  wait_timeout_seconds: z
    .number()
    .int()
    .min(1)
    .max(3600)
    .optional()
    .describe("How long each machine may take to start and pass its checks (default 300)."),
  lease_ttl_seconds: z
    .number()
    .int()
    // Core's bounds, as `--lease-timeout` takes them (5s to 10m); the planner checks them again.
    .min(MIN_LEASE_TTL_SECONDS)
    .max(MAX_LEASE_TTL_SECONDS)
    .optional()
    .describe(
      `How long each machine lease lasts, refreshed while working: ${MIN_LEASE_TTL_SECONDS} to ${MAX_LEASE_TTL_SECONDS} (default 30).`,
    ),
  revert: z
    .boolean()
    .optional()
    .describe(
      "Put every changed machine back if a machine or a gate fails (default true); false leaves them as they are.",
    ),
};

const rollbackTarget = {
  target: z
    .string()
    .min(1)
    .optional()
    .describe("A version (3.1.11), a range (^3.1), an image digest, or previous (the default)."),
  release: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("Roll back to the version of this Fly release number instead of target."),
  with_config: z
    .boolean()
    .optional()
    .describe("Also restore each machine's config from when it ran the target."),
};

export const planRollbackInput = {
  app,
  ...rollbackTarget,
  ...rolloutChoices,
  freeze: z
    .boolean()
    .optional()
    .describe(
      "Once the rollback is complete, freeze the app on its target so deploys are refused until unfrozen (default true, as `semfly rollback`; false as --no-freeze).",
    ),
};

export const planDeployInput = {
  app,
  version: z.string().min(1).describe("The semver version the image is, e.g. 3.2.0."),
  image: z.string().min(1).describe("The image to deploy, e.g. registry.fly.io/acme-web:3.2.0."),
  allow_downgrade: z
    .boolean()
    .optional()
    .describe("Allow the version to be lower than the live one."),
  force_version: z
    .boolean()
    .optional()
    .describe(
      "Deploy as version although the image's own tag or version label names another (as --force-version).",
    ),
  ...rolloutChoices,
};

export const planPromoteInput = {
  app: z
    .string()
    .min(1)
    .optional()
    .describe("The app to promote into (default: the server's --app, FLY_APP, then ./fly.toml)."),
  from: z.string().min(1).describe("The staging app the version ran in, of the same organisation."),
  version: z.string().min(1).describe("The version in the staging app, e.g. 3.2.0."),
  force: z
    .boolean()
    .optional()
    .describe("Promote even if the version never went live and healthy in staging."),
  allow_downgrade: z
    .boolean()
    .optional()
    .describe("Allow the version to be lower than the target's live version."),
  ...rolloutChoices,
};

export const preflightInput = {
  plan_id: z
    .string()
    .min(1)
    .optional()
    .describe(
      "A plan made by plan_rollback, plan_deploy or plan_promote. Without it: the preflight of a rollback (target, release, strategy, ...), planned and not kept.",
    ),
  app,
  ...rollbackTarget,
  strategy: rolloutChoices.strategy,
  max_unavailable: rolloutChoices.max_unavailable,
};

export const executeInput = {
  plan_id: z
    .string()
    .min(1)
    .describe("The plan_id that plan_rollback, plan_deploy or plan_promote returned."),
};
