export type {
  ManifestAnswer,
  RegistryCallOptions,
  RegistryClient,
  RegistryClientOptions,
} from "./client.js";
export { createRegistryClient, FLY_MACHINE_PLATFORM } from "./client.js";
export type { DeployImage, DeployImageInput } from "./deploy-image.js";
export { resolveDeployImage } from "./deploy-image.js";
export type { DockerConfigOptions, RegistryCredentials } from "./docker-config.js";
export { decodeAuth, dockerConfigPath, dockerCredentials } from "./docker-config.js";
export type {
  ImageCheck,
  ImageCheckInput,
  ImageCheckOptions,
  ImageCheckOutcome,
  ImageCheckSource,
  ImageCheckSources,
} from "./image-check.js";
export {
  checkImage,
  checkPlanImage,
  imageCheckLine,
  imageCheckRecord,
  refuseUnusableImage,
  skippedImageCheckWarning,
} from "./image-check.js";
export type { RegistryReference } from "./reference.js";
export {
  credentialKey,
  DOCKER_HUB_API_HOST,
  FLY_DOCKER_HUB_MIRROR,
  FLY_REGISTRY_HOST,
  isDockerHub,
  isFlyRegistry,
  parseRegistryReference,
  resolveRegistryBaseUrl,
} from "./reference.js";
