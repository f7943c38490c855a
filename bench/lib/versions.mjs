// What the start-up and history scenarios share: running `semfly versions --json`, its bare-fetch baseline
// and the core probe as child processes against an emulator, and counting the requests each one made.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  authorizationHeader,
  DEFAULT_RELEASES_PAGE_SIZE,
  flyGraphqlDocuments,
} from "../../packages/core/dist/index.js";
import { summarizeRequests } from "./emulator.mjs";
import { NODE, timeCommand } from "./runner.mjs";

export const CLI = fileURLToPath(new URL("../../apps/cli/bin/run.js", import.meta.url));
export const BARE = fileURLToPath(new URL("../probes/bare-versions.mjs", import.meta.url));
export const CORE_PROBE = fileURLToPath(new URL("../probes/core-versions.mjs", import.meta.url));
export const RSS_PROBE = fileURLToPath(new URL("../probes/max-rss.cjs", import.meta.url));

const RELEASES_QUERY = flyGraphqlDocuments.find(
  (doc) => doc.name === "SemflyReleasesPage",
).document;

/** The bare script's argument: the same endpoints, headers, query and page size as semfly's client. */
export function bareArgs(emulator, pages) {
  return [
    BARE,
    JSON.stringify({
      graphqlUrl: `${emulator.env.FLY_API_BASE_URL}/graphql`,
      machinesUrl: `${emulator.env.FLY_FLAPS_BASE_URL}/v1/apps/${encodeURIComponent(emulator.app)}/machines`,
      graphqlAuth: authorizationHeader(emulator.token, "graphql"),
      machinesAuth: authorizationHeader(emulator.token, "machines"),
      app: emulator.app,
      query: RELEASES_QUERY,
      pageSize: DEFAULT_RELEASES_PAGE_SIZE,
      pages,
    }),
  ];
}

/**
 * Run a child against the emulator and count the requests it made (the log is cleared first). With
 * `rssFile`, the child also reports its peak RSS through the --require probe (MB in `rssMb`).
 * @returns {Promise<{ms: number, stdoutBytes: number, rssMb: number | null, requests: {total: number, releasePages: number, machineLists: number}}>}
 */
export async function runCounted(emulator, args, options, rssFile) {
  await emulator.clearRequestLog();
  const run = await timeCommand(
    NODE,
    rssFile ? ["--require", RSS_PROBE, ...args] : args,
    rssFile ? { ...options, env: { ...options.env, SEMFLY_BENCH_RSS_FILE: rssFile } } : options,
  );
  const requests = summarizeRequests(await emulator.requestLog());
  const rssMb = rssFile ? Number(readFileSync(rssFile, "utf8")) / 1024 : null;
  return { ms: run.ms, stdoutBytes: run.stdoutBytes, rssMb, requests };
}
