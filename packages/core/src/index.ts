export * from "./errors.js";
export * from "./fly/index.js";
export * from "./operations/index.js";
export * from "./plans/index.js";
export * from "./registry/index.js";
export * from "./rollout/index.js";
export * from "./verify/index.js";
export * from "./versions/index.js";
