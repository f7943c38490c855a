// The one table the suite prints, and the JSON files it writes so runs can be compared.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** @param {number} value @param {string} unit */
export function formatValue(value, unit) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  if (unit === "ms") {
    if (value >= 100) return `${Math.round(value)} ms`;
    return `${value.toFixed(value >= 10 ? 1 : 2)} ms`;
  }
  if (unit === "MB") return `${value.toFixed(1)} MB`;
  if (unit === "KB") return `${value.toFixed(1)} KB`;
  if (unit === "x") return `${value.toFixed(2)}×`;
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

function rangeOf(row) {
  if (!row.samples.length) return "—";
  if (row.min === row.max) return formatValue(row.min, row.unit);
  const unit = row.unit === "count" || row.unit === "x" ? "" : ` ${row.unit}`;
  const bare = (v) =>
    formatValue(v, row.unit)
      .replace(/ (ms|MB|KB)$/, "")
      .replace(/×$/, "");
  return `${bare(row.min)}–${bare(row.max)}${unit}${row.unit === "x" ? "×" : ""}`;
}

function baselineOf(row) {
  if (!row.baseline) return "—";
  return `${row.baseline.name}: ${formatValue(row.baseline.median, row.unit)}`;
}

function ratioOf(row) {
  return row.ratio === null || row.ratio === undefined ? "—" : `${row.ratio.toFixed(2)}×`;
}

/**
 * Change against the same figure of an earlier run (--compare): of the ratio when the figure has one (the
 * figure noise hurts least), else of the median.
 */
function deltaOf(row, previous) {
  const before = previous?.find((p) => p.scenario === row.scenario && p.figure === row.figure);
  if (!before) return "—";
  const [now, then] =
    row.ratio !== null && before.ratio !== null && before.ratio !== undefined
      ? [row.ratio, before.ratio]
      : [row.median, before.median];
  if (!Number.isFinite(now) || !Number.isFinite(then)) return "—";
  if (then === 0) return now === 0 ? "0%" : "new";
  const change = ((now - then) / then) * 100;
  return `${change >= 0 ? "+" : ""}${change.toFixed(0)}%`;
}

/**
 * @param {Array<ReturnType<typeof import("./runner.mjs").row>>} rows
 * @param {{previous?: Array<{scenario: string, figure: string, median: number}>}} [options]
 */
export function renderTable(rows, options = {}) {
  const headers = [
    "Scenario",
    "Figure",
    "Median",
    "Min–max",
    "Target",
    "Baseline (median, same run)",
    "Ratio",
    "Result",
  ];
  if (options.previous) headers.push("Δ vs compared run");
  const body = rows.map((row) => {
    const cells = [
      row.scenario,
      row.figure,
      formatValue(row.median, row.unit),
      rangeOf(row),
      row.target?.label ?? "—",
      baselineOf(row),
      ratioOf(row),
      row.result,
    ];
    if (options.previous) cells.push(deltaOf(row, options.previous));
    return cells;
  });
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...body.map((cells) => cells[i].length)),
  );
  const line = (cells) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  const out = [line(headers), line(widths.map((w) => "─".repeat(w))), ...body.map(line)];
  const notes = rows.filter((row) => row.note).map((row) => `  ${row.figure}: ${row.note}`);
  if (notes.length) out.push("", "Notes:", ...notes);
  return out.join("\n");
}

/** `2026-11-26T12-03-04Z`: sortable, and safe in a file name. */
export function stamp(date) {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, "Z")
    .replace(/:/g, "-");
}

/** Writes latest.json and a timestamped copy; returns both paths. */
export function writeResults(dir, report) {
  mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify(report, null, 2)}\n`;
  const latest = join(dir, "latest.json");
  const copy = join(
    dir,
    `${stamp(new Date(report.startedAt))}${report.smoke ? "-smoke" : ""}.json`,
  );
  writeFileSync(latest, text);
  writeFileSync(copy, text);
  return { latest, copy };
}

export function readResults(file) {
  return JSON.parse(readFileSync(file, "utf8"));
}
