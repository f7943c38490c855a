import type { GateResult, VerifyReport } from "@semfly/core";
import { type Cell, renderTable } from "./table.js";
import type { Terminal } from "./terminal.js";

const STATUS_STYLE = { pass: "green", fail: "red", "no-data": "yellow" } as const;

export function gateRows(results: readonly GateResult[]): Cell[][] {
  return results.map((r) => [
    { text: r.status === "no-data" ? "no data" : r.status, style: STATUS_STYLE[r.status] },
    r.name,
    r.detail,
  ]);
}

export function verifyText(report: VerifyReport, term: Terminal): string {
  const table = renderTable(
    [{ header: "RESULT" }, { header: "GATE", shrink: 2 }, { header: "SEEN", shrink: 1 }],
    gateRows(report.results),
    { width: term.width, palette: term.colors },
  );
  const verdict =
    report.status === "pass"
      ? term.colors.green(
          `${report.app}: every gate passes on ${report.machines} machine${report.machines === 1 ? "" : "s"}.`,
        )
      : report.status === "fail"
        ? term.colors.red(`${report.app}: ${report.failed?.name} failed.`)
        : `${report.app}: interrupted.`;
  return `${table}\n${verdict}`;
}
