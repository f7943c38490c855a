export {
  type SecretSpec,
  secretDigest,
  type VolumeSpec,
} from "./app-storage.js";
export {
  Emulator,
  type EmulatorCounters,
  type EmulatorEnv,
  type EmulatorOptions,
  type LeaseInfo,
  type RequestLogEntry,
  startEmulator,
} from "./emulator.js";
export type { FaultAction, FaultRule, Faults } from "./faults.js";
export { MAX_PAGE_SIZE } from "./graphql-api.js";
export { LEASE_NONCE_HEADER } from "./machines-api.js";
export type {
  CheckStatusJson,
  DeploymentStrategy,
  ImageRecord,
  ImageRefJson,
  LeaseJson,
  MachineCheckConfigJson,
  MachineConfigJson,
  MachineEventJson,
  MachineJson,
  ReleaseRecord,
  RestReleaseJson,
  Service,
} from "./model.js";
export type {
  DigestRefAnswer,
  OciRegistry,
  RegistryImageSpec,
  RegistrySpec,
} from "./oci-registry.js";
export { FLY_RATE_LIMITS, type RateLimitConfig } from "./rate-limit.js";
export { type ParsedImageRef, parseImageRef } from "./registry.js";
export {
  type AppSpec,
  deploymentTag,
  digestFor,
  type ImageSpec,
  type LargeScenarioOptions,
  largeScenario,
  loadScenario,
  type MachineSpec,
  type MachineVersionSpec,
  type ReleaseSpec,
  revisionFor,
  type Scenario,
  ScenarioBuilder,
  scenario,
} from "./scenario.js";
export { flyGraphqlSubsetSdl } from "./schema/fly-subset.generated.js";
export type { AppTraffic, ImageTraffic } from "./traffic.js";
