export * from "./config-match.js";
export * from "./freeze.js";
export * from "./history.js";
export * from "./image-ref.js";
export * from "./parked.js";
export * from "./recognize.js";
export * from "./release-status.js";
export * from "./target.js";
export type * from "./types.js";
