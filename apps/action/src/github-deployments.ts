/**
 * GitHub deployments over GitHub's REST API (`POST /repos/{owner}/{repo}/deployments` and
 * `POST …/deployments/{id}/statuses`), so the repository's Deployments page shows which version is live
 * on which Fly app. The base URL is `GITHUB_API_URL`, as on GitHub Enterprise and in tests.
 */

export interface GithubContext {
  apiUrl: string;
  token: string;
  /** `owner/name`. */
  repository: string;
  /** The commit the run is for (`GITHUB_SHA`). */
  ref: string;
  /** The run's page, linked from the deployment status. */
  logUrl: string | null;
}

export type DeploymentState = "in_progress" | "success" | "failure" | "error";

/** GitHub caps a deployment status description at 140 characters. */
const MAX_DESCRIPTION = 140;

const clip = (text: string) =>
  text.length <= MAX_DESCRIPTION ? text : `${text.slice(0, MAX_DESCRIPTION - 1)}…`;

export class GithubApiError extends Error {
  override readonly name = "GithubApiError";
}

async function post(context: GithubContext, path: string, body: unknown): Promise<unknown> {
  const url = `${context.apiUrl.replace(/\/+$/, "")}/repos/${context.repository}${path}`;
  const response = await fetch(url, {
    method: "POST",
    headers: {
      accept: "application/vnd.github+json",
      authorization: `Bearer ${context.token}`,
      "content-type": "application/json",
      "user-agent": "semfly-action",
      "x-github-api-version": "2022-11-28",
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) {
    let message = text.slice(0, 200);
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {}
    throw new GithubApiError(`GitHub answered ${response.status} to POST ${path}: ${message}`);
  }
  return text ? JSON.parse(text) : null;
}

/** Create the deployment of this run; returns its id. */
export async function createDeployment(
  context: GithubContext,
  input: { environment: string; description: string; payload: Record<string, unknown> },
): Promise<number> {
  const body = await post(context, "/deployments", {
    ref: context.ref,
    environment: input.environment,
    description: clip(input.description),
    payload: input.payload,
    // The version is already built and chosen: no merge of the default branch, no status checks gate.
    auto_merge: false,
    required_contexts: [],
    task: "deploy",
  });
  const id = (body as { id?: unknown } | null)?.id;
  if (typeof id !== "number") {
    throw new GithubApiError("GitHub created no deployment (no id in its answer).");
  }
  return id;
}

export async function setDeploymentStatus(
  context: GithubContext,
  deploymentId: number,
  input: { state: DeploymentState; description: string; environment: string },
): Promise<void> {
  await post(context, `/deployments/${deploymentId}/statuses`, {
    state: input.state,
    description: clip(input.description),
    environment: input.environment,
    ...(context.logUrl ? { log_url: context.logUrl } : {}),
    // A newer success marks the older deployments of the same environment inactive.
    auto_inactive: true,
  });
}
