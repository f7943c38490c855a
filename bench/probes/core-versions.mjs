// `versions --json` through @semfly/core directly, with the finished-release file cache under
// $XDG_CACHE_HOME/semfly: what the CLI does once it keeps the cache, without the CLI's own start-up.
import {
  createFileReleaseCache,
  createFlyClient,
  defaultCacheDir,
  loadVersionHistory,
  resolveEndpoints,
} from "../../packages/core/dist/index.js";

// The emulator's environment, as the CLI reads it: endpoints, token and app.
const env = process.env;
const { FLY_API_TOKEN: token = "", FLY_APP: app = "" } = env;
const endpoints = resolveEndpoints(env);
const client = createFlyClient({ token, ...endpoints });
const history = await loadVersionHistory(client, app, {
  cache: createFileReleaseCache(defaultCacheDir(env)),
  endpoint: endpoints.apiBaseUrl,
});
process.stdout.write(`${JSON.stringify(history.versions)}\n`);
