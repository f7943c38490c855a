/**
 * The apps' public traffic, as Fly's proxy serves `https://<app>.fly.dev/…`: any path under
 * `/__apps/<app>/` reaches one started machine of the app (or the one named by `fly-force-instance-id`).
 * Probes in tests point there; semfly sees an ordinary URL.
 */
import { type Route, sendText } from "./http.js";
import type { TrafficModel } from "./traffic.js";

const APP_PATH = /^\/__apps\/([^/]+)(\/.*)?$/;

export function routeAppProxy(
  traffic: TrafficModel,
  method: string,
  pathname: string,
): Route | null {
  const match = APP_PATH.exec(pathname);
  if (!match || (method !== "GET" && method !== "HEAD")) return null;
  const app = decodeURIComponent(match[1]!);
  return {
    service: "proxy",
    operation: "proxy.request",
    mutating: false,
    public: true,
    handle: (ctx) => {
      const forced = ctx.req.headers["fly-force-instance-id"];
      const answer = traffic.answer(app, typeof forced === "string" ? forced : null);
      sendText(ctx.res, answer.status, answer.body);
    },
  };
}
