export type { FlyClient, FlyClientOptions } from "./client.js";
export { createFlyClient, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT_MS } from "./client.js";
export type {
  AccessTokenSource,
  AppNameSource,
  FlyEndpoints,
  ResolveAccessTokenOptions,
  ResolveAppNameOptions,
  ResolvedAccessToken,
  ResolvedAppName,
} from "./config.js";
export {
  authorizationHeader,
  DEFAULT_ENDPOINTS,
  explainTokenRejection,
  flyConfigDir,
  flyConfigPath,
  isMacaroon,
  readAppNameFromFlyToml,
  resolveAccessToken,
  resolveAppName,
  resolveEndpoints,
} from "./config.js";
export type { CallOptions } from "./context.js";
export type { FlyGraphqlDocument } from "./graphql.js";
export { DEFAULT_RELEASES_PAGE_SIZE, flyGraphqlDocuments } from "./graphql.js";
export type { ResolvedImage } from "./images.js";
export type { AcquireLeaseInput, MachineLease } from "./leases.js";
export type {
  CreateMachineInput,
  GetMachineOptions,
  ListMachinesOptions,
  UpdateMachineInput,
  WaitForStateInput,
} from "./machines.js";
export { LEASE_NONCE_HEADER } from "./machines.js";
export type { FlyRateLimits, RateLimit } from "./rate-limit.js";
export {
  FLY_MACHINES_CLIENT_LIMITS,
  FLY_MACHINES_RATE_LIMITS,
  parseRateLimits,
} from "./rate-limit.js";
export type { ReleaseImageLabels, ReleasesByVersion } from "./release-lookup.js";
export type {
  CreateReleaseInput,
  DeploymentStrategy,
  ReleaseDefinition,
  ReleaseSummary,
  ReleasesPage,
  UpdateReleaseInput,
} from "./releases.js";
export type { CallRetry, RetryOptions } from "./retry.js";
export { DEFAULT_RETRY } from "./retry.js";
export { parseRetryOptions } from "./retry-options.js";
