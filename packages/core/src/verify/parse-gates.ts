/** Gates as people write them: `--gate 'QUERY < 0.01'`, `--probe URL`, and `semfly.toml`. Pure. */
import * as v from "valibot";
import { parseDuration } from "../duration.js";
import { inputError } from "../errors.js";
import {
  type ComparisonOp,
  EMPTY_GATES,
  type GateSet,
  type MetricGate,
  type ProbeGate,
} from "./types.js";

/** A metric gate with no data waits this long by default: a scrape or two after the machines start. */
export const DEFAULT_GATE_WAIT_MS = 2 * 60_000;
export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;
const OK_STATUSES: ReadonlyArray<readonly [number, number]> = [[200, 299]];

// The comparison is the last operator before a trailing number, so a query may hold operators of its own.
const GATE =
  /^(?<query>.*\S)\s*(?<op><=|>=|==|!=|<|>)\s*(?<threshold>[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*$/is;

export function parseGateExpression(
  text: string,
  extra: { name?: string; waitMs?: number; noData?: "fail" | "pass" } = {},
): MetricGate {
  const match = GATE.exec(text.trim());
  if (!match?.groups) {
    throw inputError(
      "INVALID_GATE",
      `The gate "${text}" is not "QUERY <op> NUMBER".`,
      `Write a PromQL query, a comparison (<, <=, >, >=, ==, !=) and a number, e.g. --gate 'sum(rate(fly_app_http_responses_count{app="$APP",status=~"5.."}[1m])) < 1'.`,
    );
  }
  const { query, op, threshold } = match.groups as {
    query: string;
    op: ComparisonOp;
    threshold: string;
  };
  return {
    kind: "metric",
    name: extra.name ?? `${query.trim()} ${op} ${threshold}`,
    query: query.trim(),
    op,
    threshold: Number(threshold),
    waitMs: extra.waitMs ?? DEFAULT_GATE_WAIT_MS,
    noData: extra.noData ?? "fail",
  };
}

/** `2xx`, `200`, `200-204`, comma-separated. */
export function parseStatusSpec(text: string): Array<readonly [number, number]> {
  const ranges: Array<readonly [number, number]> = [];
  for (const part of text.split(",").map((p) => p.trim())) {
    const family = /^([1-5])xx$/i.exec(part);
    const range = /^(\d{3})(?:-(\d{3}))?$/.exec(part);
    if (family) ranges.push([Number(family[1]) * 100, Number(family[1]) * 100 + 99]);
    else if (range) ranges.push([Number(range[1]), Number(range[2] ?? range[1])]);
    else {
      throw inputError(
        "INVALID_PROBE",
        `The probe status "${text}" is not a status, a range or a family.`,
        "Use 200, 200-299, 2xx, or a comma-separated list of them.",
      );
    }
  }
  return ranges;
}

/** `--probe URL`, optionally followed by `status=…`, `body=…`, `timeout=…` and `per-machine`. */
export function parseProbeSpec(text: string): ProbeGate {
  const [url = "", ...options] = text.trim().split(/\s+/);
  const probe = probeGate({ url });
  for (const option of options) {
    const [key, ...rest] = option.split("=");
    const value = rest.join("=");
    if (key === "status") probe.status = parseStatusSpec(value);
    else if (key === "body") probe.bodyContains = value;
    else if (key === "timeout") probe.timeoutMs = durationOf(value, "probe timeout");
    else if (key === "per-machine" && value === "") probe.perMachine = true;
    else {
      throw inputError(
        "INVALID_PROBE",
        `Unknown probe option "${option}".`,
        "A probe is URL [status=2xx] [body=TEXT] [timeout=5s] [per-machine].",
      );
    }
  }
  return probe;
}

function probeGate(input: { url: string; name?: string | undefined }): ProbeGate {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw inputError(
      "INVALID_PROBE",
      `The probe URL "${input.url}" is not a URL.`,
      "Give a full URL, e.g. --probe https://my-app.fly.dev/healthz.",
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw inputError("INVALID_PROBE", `The probe URL "${input.url}" is not http or https.`);
  }
  return {
    kind: "probe",
    name: input.name ?? `GET ${url.href}`,
    url: url.href,
    status: OK_STATUSES,
    bodyContains: null,
    timeoutMs: DEFAULT_PROBE_TIMEOUT_MS,
    perMachine: false,
  };
}

function durationOf(text: string, what: string): number {
  const ms = parseDuration(text);
  if (ms === null) {
    throw inputError(
      "INVALID_DURATION",
      `The ${what} "${text}" is not a duration.`,
      "Write it as flyctl does: 30s, 10m, 1h30m.",
    );
  }
  return ms;
}

const ProbeEntry = v.strictObject({
  url: v.string(),
  name: v.optional(v.string()),
  status: v.optional(v.union([v.string(), v.number()])),
  body: v.optional(v.string()),
  timeout: v.optional(v.string()),
  per_machine: v.optional(v.boolean()),
});
const GateEntry = v.strictObject({
  expr: v.string(),
  name: v.optional(v.string()),
  wait: v.optional(v.string()),
  no_data: v.optional(v.picklist(["fail", "pass"])),
});
const VerifySection = v.strictObject({
  bake: v.optional(v.string()),
  interval: v.optional(v.string()),
  probe: v.optional(v.array(ProbeEntry)),
  gate: v.optional(v.array(GateEntry)),
});
const GateFile = v.looseObject({ verify: v.optional(VerifySection) });

/** The `[verify]` section of a parsed `semfly.toml`; `file` names it in errors. */
export function gatesFromFile(parsed: unknown, file: string): GateSet {
  const result = v.safeParse(GateFile, parsed);
  if (!result.success) {
    const issue = result.issues[0];
    const path = issue?.path?.map((p) => String(p.key)).join(".") ?? "verify";
    throw inputError(
      "INVALID_GATE_FILE",
      `${file}: ${path}: ${issue?.message ?? "not a valid [verify] section"}.`,
      "See the README's Verify section for the [verify] keys: bake, interval, [[verify.probe]], [[verify.gate]].",
    );
  }
  const section = result.output.verify;
  if (!section) return { ...EMPTY_GATES };
  return {
    probes: (section.probe ?? []).map((entry) => {
      const probe = probeGate({ url: entry.url, name: entry.name });
      if (entry.status !== undefined) probe.status = parseStatusSpec(String(entry.status));
      if (entry.body !== undefined) probe.bodyContains = entry.body;
      if (entry.timeout !== undefined) probe.timeoutMs = durationOf(entry.timeout, "probe timeout");
      if (entry.per_machine) probe.perMachine = true;
      return probe;
    }),
    metrics: (section.gate ?? []).map((entry) =>
      parseGateExpression(entry.expr, {
        ...(entry.name ? { name: entry.name } : {}),
        ...(entry.wait ? { waitMs: durationOf(entry.wait, "gate wait") } : {}),
        ...(entry.no_data ? { noData: entry.no_data } : {}),
      }),
    ),
    bakeMs: section.bake ? durationOf(section.bake, "bake window") : 0,
    intervalMs: section.interval
      ? durationOf(section.interval, "gate interval")
      : EMPTY_GATES.intervalMs,
  };
}

export interface GateFlags {
  probe?: readonly string[] | undefined;
  gate?: readonly string[] | undefined;
  bake?: string | undefined;
}

/** Flags override the file: probes and gates given on the command line replace the file's of that kind. */
export function mergeGateFlags(file: GateSet, flags: GateFlags): GateSet {
  return {
    probes: flags.probe?.length ? flags.probe.map(parseProbeSpec) : file.probes,
    metrics: flags.gate?.length ? flags.gate.map((g) => parseGateExpression(g)) : file.metrics,
    bakeMs: flags.bake === undefined ? file.bakeMs : durationOf(flags.bake, "bake window"),
    intervalMs: file.intervalMs,
  };
}
