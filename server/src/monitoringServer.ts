import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { monitor } from "@colyseus/monitor";
import express, { type NextFunction, type Request, type Response } from "express";
import basicAuth from "express-basic-auth";
import type { Settings } from "./config.ts";
import type { Logger } from "./logger.ts";
import { sendError } from "./http/httpErrors.ts";
import type { Metrics } from "./Metrics.ts";

export interface MonitoringServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * `/metrics` (Prometheus) and `/monitor` (Colyseus's panel, MONITOR=1) on a
 * listener of their own, at METRICS_HOST:METRICS_PORT (loopback by default),
 * apart from the game port: players and other sites' pages never reach them,
 * and no CORS header is ever sent, so a browser page cannot read them
 * either. Expose it to the monitoring network only.
 */
export async function listenForMonitoring(settings: Settings, metrics: Metrics, log: Logger): Promise<MonitoringServer> {
  const app = express();
  app.disable("x-powered-by");
  app.get("/metrics", async (_req: Request, res: Response) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  if (settings.monitor.enabled) {
    const { password } = settings.monitor;
    if (password === undefined) log.warn("the monitor panel is open without a password (MONITOR_PASSWORD): development only");
    const guard =
      password === undefined
        ? (_req: Request, _res: Response, next: NextFunction) => next()
        : basicAuth({ users: { admin: password }, challenge: true, realm: "arena-monitor" });
    app.use("/monitor", guard, monitor() as unknown as express.RequestHandler);
  }
  app.use((_req: Request, res: Response) => sendError(res, "not_found"));
  const server: HttpServer = createServer({ headersTimeout: settings.http.requestTimeoutMs, requestTimeout: settings.http.requestTimeoutMs }, app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(settings.metricsPort, settings.metricsHost, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
