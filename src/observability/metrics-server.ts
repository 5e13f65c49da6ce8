import { shown } from '../shown-value.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ConfigError } from '../errors.js';
import type { HealthReport } from '../types.js';

export interface MetricsServerOptions {
  /** 0 picks a free port (see `url`). */
  port: number;
  /** Default 127.0.0.1: metrics name your jobs and hosts, so they are not exposed unless asked. */
  host?: string;
  /** Default "/metrics". */
  path?: string;
}

/** What the server answers: metrics (when a registry is given) and the health endpoints. */
export interface ServedRoutes {
  registry?: Registry;
  health: () => HealthReport;
}

export interface MetricsServer {
  /** Where Prometheus scrapes, e.g. http://127.0.0.1:9464/metrics. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves, over HTTP GET: a registry in the Prometheus text format at `path` (when there is
 * one), `/healthz` (200 while the process serves at all: liveness) and `/readyz` (200 when
 * the worker is ready for work, else 503; a JSON body says which check fails).
 */
export async function serveMetrics(routes: ServedRoutes, options: MetricsServerOptions): Promise<MetricsServer> {
  const { port, host = '127.0.0.1', path = '/metrics' } = options;
  const { registry, health } = routes;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ConfigError(`metrics port must be an integer from 0 to 65535, got ${shown(port)}`);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const known = url.pathname === '/healthz' || url.pathname === '/readyz' || (registry !== undefined && url.pathname === path);
    if (!known) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found; ${registry ? `metrics are at ${path}, ` : ''}health at /healthz and /readyz\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const body = (text: string) => (req.method === 'HEAD' ? undefined : text);
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(body('ok\n'));
      return;
    }
    if (url.pathname === '/readyz') {
      const report = health();
      res.writeHead(report.ready ? 200 : 503, { 'content-type': 'application/json' }).end(body(`${JSON.stringify(report)}\n`));
      return;
    }
    registry!.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry!.contentType }).end(body(text)),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${(err as Error)?.message ?? err}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new ConfigError(`metrics port ${port} on ${host} is already in use`) : err),
    );
    server.listen(port, host, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${bound}${path}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive scrapers would hold close() open until they time out.
        server.closeAllConnections();
      }),
  };
}
