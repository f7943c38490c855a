export { evaluateGates, type GateSources } from "./evaluate.js";
export { GATE_FILE_NAME, loadGateFile } from "./gate-file.js";
export {
  DEFAULT_GATE_WAIT_MS,
  type GateFlags,
  gatesFromFile,
  mergeGateFlags,
  parseGateExpression,
  parseProbeSpec,
  parseStatusSpec,
} from "./parse-gates.js";
export { httpProbeSender, type ProbeSender } from "./probe.js";
export { substituteQuery } from "./substitute.js";
export type * from "./types.js";
export { EMPTY_GATES } from "./types.js";
export {
  CHECKS_WAIT_MS,
  gateSummary,
  judgeFlyChecks,
  judgeMetric,
  judgeProbe,
  judgeSameImage,
  judgeStillRunning,
  type MetricSample,
  type ProbeAnswer,
} from "./verdict.js";
export { type WatchOptions, type WatchOutcome, watchGates } from "./watch.js";
