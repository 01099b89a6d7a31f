import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { HangarMetrics } from "../observability/metrics.js";

/**
 * A tiny HTTP server for `--metrics-port` (stdio mode, where there is no HTTP front end to mount
 * the metrics on): loopback only, one route — GET (and HEAD) of the metrics endpoint.
 */

export const METRICS_HOST = "127.0.0.1";

export interface MetricsEndpoint {
  /** The metrics' full URL, with the bound port (useful with port 0). */
  readonly url: string;
  readonly port: number;
  /** Stops listening and ends open connections. Idempotent. */
  close(): Promise<void>;
}

export interface MetricsEndpointOptions {
  metrics: Pick<HangarMetrics, "contentType" | "render">;
  /** 0 = any free port. */
  port: number;
  /** URL path, e.g. /metrics. */
  endpoint: string;
  onError?: (error: unknown) => void;
}

export async function serveMetrics(options: MetricsEndpointOptions): Promise<MetricsEndpoint> {
  const { metrics, endpoint } = options;
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.onError?.(error);
      if (!response.headersSent) respond(response, 500, "metrics could not be collected\n");
      else response.destroy();
    });
  });

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? "/").split("?", 1)[0];
    if (path !== endpoint) {
      respond(response, 404, `not found; metrics are at ${endpoint}\n`);
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.setHeader("Allow", "GET, HEAD");
      respond(response, 405, "method not allowed\n");
      return;
    }
    const text = await metrics.render();
    response.writeHead(200, {
      "Content-Type": metrics.contentType,
      "Content-Length": Buffer.byteLength(text),
      "Cache-Control": "no-store",
    });
    response.end(request.method === "HEAD" ? undefined : text);
  };

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(error);
    };
    server.once("error", onError);
    server.listen(options.port, METRICS_HOST, () => {
      server.off("error", onError);
      resolve();
    });
  });
  server.on("error", (error) => options.onError?.(error));
  // Scrapers keep connections alive; they must not hold the hangar's exit.
  server.unref();

  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${METRICS_HOST}:${port}${endpoint}`,
    port,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function respond(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
  response.end(text);
}
