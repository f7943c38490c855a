/**
 * The job summary (Markdown for `$GITHUB_STEP_SUMMARY`) and the step outputs, from the JSON semfly
 * printed. Pure, so the exact text is tested without a runner.
 */
import type { ActionCommand } from "./inputs.js";

export interface VersionRow {
  version: string | null;
  key: string;
  current: boolean;
  status: string;
  releases: number[];
  image: { ref: string | null; digest: string | null };
  deployedAt: string | null;
  deployedBy: string | null;
}

export interface FreezeJson {
  frozen: boolean;
  expired: boolean;
  by: string;
  reason: string;
  until: string | null;
  holds: { version: string | null; digest: string | null } | null;
}

export interface StatusJson {
  app: string;
  version: string | null;
  drift: boolean;
  freeze: FreezeJson | null;
  machines: {
    id: string;
    region: string;
    processGroup: string;
    state: string;
    version: string | null;
  }[];
}

export interface RolloutMachine {
  id: string;
  region?: string;
  processGroup?: string;
  from: string | null;
  to: string;
  result: string;
  error?: string;
}

export interface RolloutJson {
  app: string;
  kind: "deploy" | "rollback";
  from: string | null;
  to: string;
  release: number | null;
  status: string;
  strategy: string;
  dryRun: boolean;
  machines: RolloutMachine[];
  batches: string[][];
  reason: string | null;
  reverted: boolean;
  undo: string | null;
  warnings: string[];
  freeze?: FreezeJson | null;
  freezeError?: string;
}

export interface CliError {
  code: string;
  message: string;
  suggestion: string | null;
}

export interface RunReport {
  command: ActionCommand;
  app: string;
  versions: VersionRow[] | null;
  status: StatusJson | null;
  rollout: RolloutJson | null;
  /** Whatever JSON a command without a known shape printed (verify). */
  other: unknown;
  error: CliError | null;
}

export interface ActionOutputs {
  version: string;
  release: string;
  status: string;
  undo: string;
}

const cell = (text: string | number | null | undefined) =>
  text === null || text === undefined || text === ""
    ? "-"
    : String(text).replace(/\|/g, "\\|").replace(/\n/g, " ");

function table(headers: string[], rows: (string | number | null | undefined)[][]): string[] {
  return [
    `| ${headers.join(" | ")} |`,
    `| ${headers.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${row.map(cell).join(" | ")} |`),
  ];
}

const short = (digest: string | null) => (digest ? digest.slice(0, 19) : null);

function freezeLine(freeze: FreezeJson): string {
  const until = freeze.until ? `until ${freeze.until}` : "until unfrozen";
  if (freeze.expired) return `Freeze expired (${until}, was by ${freeze.by}: ${freeze.reason}).`;
  const holds = freeze.holds?.version ?? freeze.holds?.digest;
  return `🔒 Frozen by ${freeze.by} ${until}: ${freeze.reason}${holds ? ` (holding ${holds})` : ""}.`;
}

function rolloutHeadline(rollout: RolloutJson): string {
  const move = `${rollout.from ?? "nothing"} → ${rollout.to}`;
  const release = rollout.release === null ? "" : `, release v${rollout.release}`;
  return `**${rollout.dryRun ? "planned (dry run)" : rollout.status}**: ${move} (${rollout.strategy}${release})`;
}

export function summaryMarkdown(report: RunReport): string {
  const lines = [`## semfly ${report.command}: ${report.app}`, ""];
  // After a rollout, the freeze it set (rollback); before one, or without one, the freeze Fly holds.
  const freeze = report.rollout ? (report.rollout.freeze ?? null) : (report.status?.freeze ?? null);
  if (report.error) {
    lines.push(
      `**${report.error.code === "FROZEN" ? "Refused" : "Failed"}**: ${report.error.message}`,
    );
    if (report.error.suggestion) lines.push("", report.error.suggestion);
    lines.push("");
  }
  if (freeze) lines.push(freezeLine(freeze), "");
  if (report.rollout?.freezeError) {
    lines.push(`⚠️ The rollback stands, but the freeze failed: ${report.rollout.freezeError}`, "");
  }
  const rollout = report.rollout;
  if (rollout) {
    lines.push(rolloutHeadline(rollout), "");
    if (rollout.reason) lines.push(`Reason: ${rollout.reason}`, "");
    lines.push("### Plan", "");
    lines.push(
      ...table(
        ["Batch", "Machines"],
        rollout.batches.map((batch, i) => [i + 1, batch.join(", ")]),
      ),
      "",
    );
    lines.push("### Result", "");
    lines.push(
      ...table(
        ["Machine", "Region", "Group", "From", "To", "Result"],
        rollout.machines.map((m) => [
          m.id,
          m.region,
          m.processGroup,
          m.from,
          m.to,
          m.error ? `${m.result}: ${m.error}` : m.result,
        ]),
      ),
      "",
    );
    if (rollout.reverted) lines.push("Every changed machine was put back.", "");
    for (const warning of rollout.warnings) lines.push(`⚠️ ${warning}`, "");
    if (rollout.undo) lines.push("### Undo", "", "```sh", rollout.undo, "```", "");
  }
  if (report.other !== null && report.other !== undefined) {
    lines.push("```json", JSON.stringify(report.other, null, 2), "```", "");
  }
  if (report.command === "status" && report.status) {
    lines.push(
      `Version: ${report.status.drift ? "mixed (machines disagree)" : (report.status.version ?? "-")}`,
      "",
    );
    lines.push(
      ...table(
        ["Machine", "Region", "Group", "State", "Version"],
        report.status.machines.map((m) => [m.id, m.region, m.processGroup, m.state, m.version]),
      ),
      "",
    );
  }
  if (report.versions) {
    lines.push("### Versions", "");
    lines.push(
      ...table(
        ["", "Version", "Status", "Releases", "Digest", "Deployed", "By"],
        report.versions.map((v) => [
          v.current ? "●" : "",
          v.version ?? v.key,
          v.status,
          v.releases.map((r) => `v${r}`).join(", "),
          short(v.image.digest),
          v.deployedAt,
          v.deployedBy,
        ]),
      ),
      "",
    );
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

/**
 * `version`: what is live after the run; `release`: the Fly release the run made; `status`: the rollout's
 * status (complete, failed, interrupted, planned), `refused` when a freeze stopped it, `failed` for any other
 * error, or
 * for versions/status `frozen`, `drift` or `live` (verify: its own `status`, when it prints one); `undo`: the command that undoes the run.
 */
export function actionOutputs(report: RunReport): ActionOutputs {
  const rollout = report.rollout;
  const live = report.versions?.find((v) => v.current);
  const version =
    rollout && rollout.status === "complete" && !rollout.dryRun
      ? rollout.to
      : (live?.version ?? live?.key ?? report.status?.version ?? "");
  // A command without a known shape (verify) may still say how it went.
  const reported = (report.other as { status?: unknown } | null)?.status;
  let status: string;
  if (rollout) status = rollout.dryRun ? "planned" : rollout.status;
  else if (typeof reported === "string" && !report.error) status = reported;
  else if (report.error) status = report.error.code === "FROZEN" ? "refused" : "failed";
  else if (report.status?.freeze?.frozen) status = "frozen";
  else if (report.status?.drift) status = "drift";
  else status = "live";
  return {
    version,
    release:
      rollout?.release === null || rollout?.release === undefined ? "" : String(rollout.release),
    status,
    undo: rollout?.undo ?? "",
  };
}
