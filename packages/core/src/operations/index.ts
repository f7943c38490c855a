export * from "./diff.js";
export * from "./freeze.js";
export * from "./load-history.js";
export * from "./prepare.js";
export * from "./release-cache.js";
