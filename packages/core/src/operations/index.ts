export * from "./diff.js";
export * from "./freeze.js";
export * from "./image-labels.js";
export * from "./load-history.js";
export * from "./load-status.js";
export * from "./prepare.js";
export * from "./release-cache.js";
export * from "./verify.js";
