export * from "./events.js";
export * from "./execute.js";
export * from "./plan.js";
export type * from "./port.js";
