// /healthz (the process is alive and its watches are not wedged), /readyz (caches
// synced: a follower is ready too, it serves as a warm standby) and /metrics.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface HealthChecks {
  healthy(): string | undefined;
  ready(): string | undefined;
  metrics: Registry;
}

export async function startHealthServer(
  host: string,
  port: number,
  checks: HealthChecks,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const probe = (problem: string | undefined) => {
      res.writeHead(problem ? 503 : 200, { "content-type": "text/plain; charset=utf-8" });
      res.end(problem ?? "ok");
    };
    if (path === "/healthz") return probe(checks.healthy());
    if (path === "/readyz") return probe(checks.ready());
    if (path === "/metrics") {
      checks.metrics.metrics().then(
        (text) => {
          res.writeHead(200, { "content-type": checks.metrics.contentType });
          res.end(text);
        },
        (error: Error) => {
          res.writeHead(500);
          res.end(error.message);
        },
      );
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
