// Measuring: time a child process, interleave a command with its baseline, and turn samples into the rows
// the table prints and the JSON keeps. Every figure is a median; a ratio is the median of per-pair ratios,
// so a slow moment of a noisy machine lands on both sides of a pair and mostly cancels out.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const NODE = process.execPath;

/** @param {number[]} values */
export function median(values) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** @param {bigint} start */
export function msSince(start) {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Run a command to completion and time it from spawn to exit (both sides of a comparison pay the same
 * spawn cost). stdout is drained (and kept when `keepStdout`), stderr is kept for error messages.
 * @param {string} command
 * @param {string[]} args
 * @param {{env?: Record<string, string>, cwd?: string, timeoutMs?: number, keepStdout?: boolean}} [options]
 * @returns {Promise<{ms: number, stdout: string, stdoutBytes: number, stderr: string}>}
 */
export function timeCommand(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out = [];
    let stdoutBytes = 0;
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdoutBytes += chunk.length;
      if (options.keepStdout) out.push(chunk);
    });
    child.stderr.on("data", (chunk) => {
      if (stderr.length < 20_000) stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 180_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      const ms = msSince(start);
      clearTimeout(timer);
      if (code !== 0) {
        const why = signal ? `was killed (${signal})` : `exited ${code}`;
        const tail = stderr.trim().split("\n").slice(-5).join(" | ");
        const what = [command, ...args].join(" ").slice(0, 200);
        reject(new Error(`${tail || "(no stderr)"} [${what} ${why}]`));
        return;
      }
      resolve({ ms, stdout: Buffer.concat(out).toString("utf8"), stdoutBytes, stderr });
    });
  });
}

/**
 * A B A B …: runs `a` then `b`, `iterations` times, after `warmup` untimed rounds of each. Each function
 * returns a sample (a number, or an object the caller reads). Returns the sample lists in order.
 * @template A, B
 * @param {number} iterations
 * @param {() => Promise<A>} a
 * @param {() => Promise<B>} b
 * @param {{warmup?: number}} [options]
 * @returns {Promise<{a: A[], b: B[]}>}
 */
export async function interleave(iterations, a, b, options = {}) {
  for (let i = 0; i < (options.warmup ?? 1); i++) {
    await a();
    await b();
  }
  const samples = { a: [], b: [] };
  for (let i = 0; i < iterations; i++) {
    samples.a.push(await a());
    samples.b.push(await b());
  }
  return samples;
}

/**
 * One row of the table and of the JSON.
 * @param {{
 *   scenario: string, figure: string, unit: "ms" | "MB" | "KB" | "count" | "x",
 *   samples: number[],
 *   target?: {max: number, of: "value" | "ratio", label: string} | null,
 *   baseline?: {name: string, samples: number[]} | null,
 *   ratios?: number[] | null,
 *   note?: string,
 * }} input
 */
export function row(input) {
  const samples = input.samples.filter((value) => Number.isFinite(value));
  const value = median(samples);
  const baseline = input.baseline
    ? {
        name: input.baseline.name,
        samples: input.baseline.samples,
        median: median(input.baseline.samples),
      }
    : null;
  const ratios =
    input.ratios ??
    (baseline && baseline.samples.length === samples.length
      ? samples.map((sample, i) => sample / baseline.samples[i])
      : null);
  const ratio = ratios ? median(ratios) : null;
  const target = input.target ?? null;
  let result = "info";
  if (target) {
    const measured = target.of === "ratio" ? ratio : value;
    result =
      measured !== null && Number.isFinite(measured) && measured <= target.max ? "pass" : "miss";
  }
  return {
    scenario: input.scenario,
    figure: input.figure,
    unit: input.unit,
    median: value,
    min: samples.length ? Math.min(...samples) : Number.NaN,
    max: samples.length ? Math.max(...samples) : Number.NaN,
    samples,
    baseline,
    ratio,
    ratios,
    target,
    result,
    ...(input.note ? { note: input.note } : {}),
  };
}

/** A row for a scenario that crashed: the table shows it, and the run exits 1. */
export function errorRow(scenario, error) {
  return {
    scenario,
    figure: "(crashed)",
    unit: "count",
    median: Number.NaN,
    min: Number.NaN,
    max: Number.NaN,
    samples: [],
    baseline: null,
    ratio: null,
    ratios: null,
    target: null,
    result: "error",
    note: error instanceof Error ? error.message.split("\n")[0] : String(error),
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
  };
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `semfly-bench-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
