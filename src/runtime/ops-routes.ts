import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import { registry } from '../metrics.js';

export interface OpsRoute {
  path: string;
  method: string;
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

const READY_TIMEOUT_MS = 1000;

/** /healthz: the process is up. /readyz: Redis answers. /metrics: Prometheus text. */
export function opsRoutes(redis: Redis): OpsRoute[] {
  const send = (res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };
  return [
    { path: '/healthz', method: 'GET', handler: (_req, res) => send(res, 200, 'ok\n') },
    {
      path: '/readyz',
      method: 'GET',
      handler: (_req, res) => {
        const timeout = new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`no answer in ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS).unref(),
        );
        Promise.race([redis.ping(), timeout]).then(
          () => send(res, 200, 'ready\n'),
          (err: unknown) => send(res, 503, `redis: ${err instanceof Error ? err.message : String(err)}\n`),
        );
      },
    },
    {
      path: '/metrics',
      method: 'GET',
      handler: (_req, res) => {
        registry.metrics().then(
          (text) => send(res, 200, text, registry.contentType),
          (err: unknown) => send(res, 500, String(err)),
        );
      },
    },
  ];
}

/** The ops port (OPS_PORT), apart from the one Slack reaches: probes and metrics for every role. */
export async function startOpsServer(port: number, routes: OpsRoute[], host?: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = routes.find((r) => r.path === path && r.method === req.method);
    if (route === undefined) {
      res.writeHead(404).end('not found\n');
      return;
    }
    route.handler(req, res);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.setTimeout(20_000); // no connectionsCheckingInterval here, so the socket timeout fires
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, ...(host === undefined ? {} : { host }) }, resolve);
  });
  return server;
}
