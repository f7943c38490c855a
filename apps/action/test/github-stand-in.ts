import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/**
 * A local stand-in for the two GitHub REST endpoints the action calls, answering as GitHub documents
 * (201 with the created object), recording every request. Never github.com.
 */
export async function startGithubStandIn(): Promise<{
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}> {
  const requests: RecordedRequest[] = [];
  let nextId = 1000;
  const server: Server = createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      text += chunk;
    });
    req.on("end", () => {
      const body = text ? JSON.parse(text) : null;
      const path = req.url ?? "";
      requests.push({ method: req.method ?? "", path, headers: req.headers, body });
      res.setHeader("content-type", "application/json");
      if (req.method === "POST" && /^\/repos\/[^/]+\/[^/]+\/deployments$/.test(path)) {
        res.statusCode = 201;
        res.end(JSON.stringify({ id: nextId++, ...body }));
        return;
      }
      const status = /^\/repos\/[^/]+\/[^/]+\/deployments\/(\d+)\/statuses$/.exec(path);
      if (req.method === "POST" && status) {
        res.statusCode = 201;
        res.end(JSON.stringify({ id: nextId++, deployment_id: Number(status[1]), ...body }));
        return;
      }
      res.statusCode = 404;
      res.end(JSON.stringify({ message: "Not Found" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
