/** /healthz (the process is up), /readyz (store reachable, policy loaded), /metrics and the web view at /ui. */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { UsageError } from '../errors.js';
import type { UiDeps } from '../ui/context.js';
import { createUiHandler, isUiPath } from '../ui/server.js';

export interface HttpDeps {
  registry: Registry;
  /** Resolves true when the store answers and a policy is loaded. */
  ready: () => Promise<{ ok: boolean; detail: Record<string, unknown> }>;
  /**
   * What the read-only web view at /ui reads; without it /ui is not served. A function is
   * asked on each request, so the server can listen before the store is reached: until it
   * returns deps, /ui answers 503.
   */
  ui?: UiDeps | (() => UiDeps | null);
}

/** Starts the HTTP server on `port` (0 picks a free one); resolves once listening. */
export async function startHttp(port: number, host: string, deps: HttpDeps): Promise<Server> {
  let ui: ReturnType<typeof createUiHandler> | null = null;
  const uiHandler = () => {
    if (!ui && deps.ui) {
      const d = typeof deps.ui === 'function' ? deps.ui() : deps.ui;
      if (d) ui = createUiHandler(d);
    }
    return ui;
  };
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0] ?? '/';
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    // The web view answers its own methods (POST for its login form) and sets its own headers.
    if (deps.ui && isUiPath(url)) {
      const h = uiHandler();
      return h ? h(req, res) : send(503, 'text/plain', 'the store is not reached yet; see /readyz\n');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
    if (url === '/healthz') return send(200, 'application/json', JSON.stringify({ status: 'ok' }) + '\n');
    if (url === '/readyz') {
      deps
        .ready()
        .then((r) => send(r.ok ? 200 : 503, 'application/json', JSON.stringify({ status: r.ok ? 'ready' : 'not ready', ...r.detail }) + '\n'))
        .catch((err: Error) => send(503, 'application/json', JSON.stringify({ status: 'not ready', error: err.message }) + '\n'));
      return;
    }
    if (url === '/metrics') {
      deps.registry
        .metrics()
        .then((m) => send(200, deps.registry.contentType, m))
        .catch((err: Error) => send(500, 'text/plain', `${err.message}\n`));
      return;
    }
    send(404, 'text/plain', 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new UsageError(`port ${port} on ${host} is in use (another lethe, or another service): choose another with --port or LETHE_HTTP_PORT`));
      else if (err.code === 'EACCES') reject(new UsageError(`port ${port} needs privileges this process lacks: choose one above 1023 with --port or LETHE_HTTP_PORT`));
      else reject(err);
    });
    server.listen(port, host, () => resolve());
  });
  return server;
}
