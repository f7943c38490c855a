export * from "./errors.js";
export * from "./versions/index.js";
