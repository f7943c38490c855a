/**
 * The action, run by main.mjs inside a GitHub Actions runtime (or anything that sets the same
 * environment: `INPUT_*`, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `GITHUB_REPOSITORY`, `GITHUB_SHA`).
 * It runs the repository's own semfly CLI with --json and turns what it prints into a job summary, step
 * outputs and, with a github-token, a GitHub deployment. Every rule stays in semfly: a freeze is refused
 * by `semfly deploy` itself, and `semfly rollback` freezes.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as core from "@actions/core";
import { runSemfly } from "./cli.js";
import {
  createDeployment,
  type DeploymentState,
  type GithubContext,
  setDeploymentStatus,
} from "./github-deployments.js";
import { type ActionRequest, type CliAbilities, cliArguments, readRequest } from "./inputs.js";
import {
  actionOutputs,
  type CliError,
  type RolloutJson,
  type RunReport,
  type StatusJson,
  summaryMarkdown,
  type VersionRow,
} from "./summary.js";

const errorOf = (json: unknown): CliError | null => {
  const error = (json as { error?: CliError } | null)?.error;
  return error && typeof error.message === "string" ? error : null;
};

function githubContext(request: ActionRequest, env: NodeJS.ProcessEnv): GithubContext | null {
  if (!request.githubToken) return null;
  const repository = env.GITHUB_REPOSITORY;
  const ref = env.GITHUB_SHA;
  if (!repository || !ref) {
    core.warning(
      "github-token is set, but GITHUB_REPOSITORY or GITHUB_SHA is not: no deployment recorded.",
    );
    return null;
  }
  const server = env.GITHUB_SERVER_URL ?? "https://github.com";
  return {
    apiUrl: env.GITHUB_API_URL ?? "https://api.github.com",
    token: request.githubToken,
    repository,
    ref,
    logUrl: env.GITHUB_RUN_ID ? `${server}/${repository}/actions/runs/${env.GITHUB_RUN_ID}` : null,
  };
}

function finalState(rollout: RolloutJson | null): DeploymentState {
  if (!rollout) return "error";
  return rollout.status === "complete" ? "success" : "failure";
}

function finalDescription(rollout: RolloutJson | null, error: CliError | null): string {
  if (rollout?.status === "complete") {
    return `${rollout.to} is live on ${rollout.app}${rollout.release === null ? "" : ` (release v${rollout.release})`}`;
  }
  if (rollout) return `${rollout.kind} ${rollout.status}: ${rollout.reason ?? ""}`.trim();
  return error?.message ?? "semfly failed";
}

/** Best effort: a GitHub API failure is a warning, never the reason a deploy fails. */
async function recordOnGithub<T>(what: string, call: () => Promise<T>): Promise<T | null> {
  try {
    return await call();
  } catch (error) {
    core.warning(`Could not ${what}: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

export async function run(root: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    const request = readRequest((name) => core.getInput(name));
    if (request.version && !["deploy", "rollback"].includes(request.command)) {
      // Said, not silently dropped: a version given to verify is not checked (`semfly verify` takes none).
      core.warning(
        `Input version is not used by command: ${request.command}: \`semfly ${request.command}\` takes no version${request.command === "verify" ? " and judges whatever is live" : ""}.`,
      );
    }
    for (const secret of [env.FLY_API_TOKEN, env.FLY_ACCESS_TOKEN, request.githubToken]) {
      if (secret) core.setSecret(secret);
    }
    if (!env.FLY_API_TOKEN && !env.FLY_ACCESS_TOKEN) {
      throw new Error("FLY_API_TOKEN is not set: pass it from a secret in the step's env.");
    }
    const abilities = JSON.parse(
      readFileSync(join(root, "apps/cli/oclif.manifest.json"), "utf8"),
    ) as CliAbilities;
    const args = cliArguments(request, abilities);
    const cliEntry = join(root, "apps/cli/bin/run.js");
    const log = (text: string) => process.stdout.write(text);
    const semfly = (argv: string[]) => runSemfly(cliEntry, argv, env, log);
    const appArgs = request.app ? ["--app", request.app] : [];

    const before = await semfly(["status", "--json", ...appArgs]);
    const beforeError = errorOf(before.json);
    if (before.exitCode !== 0 || beforeError) {
      throw new Error(beforeError?.message ?? `semfly status failed (exit ${before.exitCode})`);
    }
    const status = before.json as StatusJson;
    const app = status.app;

    const mutation = request.command === "deploy" || request.command === "rollback";
    const github = mutation && !request.dryRun ? githubContext(request, env) : null;
    let deploymentId: number | null = null;
    if (github) {
      const target = request.version ?? "previous";
      deploymentId = await recordOnGithub("create the GitHub deployment", () =>
        createDeployment(github, {
          environment: app,
          description: `semfly ${request.command} ${target} on ${app}`,
          payload: { app, command: request.command, version: target },
        }),
      );
      if (deploymentId !== null) {
        const id = deploymentId;
        await recordOnGithub("set the deployment status", () =>
          setDeploymentStatus(github, id, {
            state: "in_progress",
            description: `semfly ${request.command} ${target}`,
            environment: app,
          }),
        );
      }
    }

    const main = request.command === "status" ? before : await semfly(args);
    const error = errorOf(main.json);
    const rollout = mutation && !error ? (main.json as RolloutJson | null) : null;
    const other = request.command === "verify" && !error ? main.json : null;
    const versionsRun =
      request.command === "versions" ? main : await semfly(["versions", "--json", ...appArgs]);
    const versions =
      versionsRun.exitCode === 0 && Array.isArray(versionsRun.json)
        ? (versionsRun.json as VersionRow[])
        : null;

    if (github && deploymentId !== null) {
      const id = deploymentId;
      await recordOnGithub("set the deployment status", () =>
        setDeploymentStatus(github, id, {
          state: finalState(rollout),
          description: finalDescription(rollout, error),
          environment: app,
        }),
      );
    }

    const report: RunReport = {
      command: request.command,
      app,
      versions,
      status,
      rollout,
      other,
      error,
    };
    const markdown = summaryMarkdown(report);
    // Outside a runner (a local run without the file) the summary goes to the log instead.
    if (env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown).write();
    else core.info(markdown);
    const outputs = actionOutputs(report);
    core.setOutput("version", outputs.version);
    core.setOutput("release", outputs.release);
    core.setOutput("status", outputs.status);
    core.setOutput("undo", outputs.undo);

    if (error) core.setFailed(error.message);
    else if (main.exitCode !== 0) {
      core.setFailed(
        rollout?.freezeError
          ? `Rolled back, but the freeze failed: ${rollout.freezeError}`
          : `semfly ${request.command} ${rollout ? rollout.status : "failed"}${rollout?.reason ? `: ${rollout.reason}` : gateFailure(other)}`,
      );
    }
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error));
  }
}

/** `: GATE: what was seen`, for a verify report whose gate failed; "" otherwise. */
function gateFailure(report: unknown): string {
  const failed = (report as { failed?: { name?: unknown; detail?: unknown } | null } | null)
    ?.failed;
  return failed && typeof failed.name === "string"
    ? `: ${failed.name}: ${String(failed.detail)}`
    : "";
}
