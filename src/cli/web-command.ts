import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { PgQueuer } from '../pgqueuer.js';
import { integerAtLeast } from './arguments.js';
import { connectionOf, schemaOf, type GlobalOptions } from './context.js';

interface WebOptions {
  port: number;
  host: string;
  basePath?: string;
  readOnly?: boolean;
  auth?: string;
  manifest: string;
  staleAfter: number;
}

const DEFAULT_MANIFEST = 'src/pgq.manifest.json';

/** Loopback hosts: a dashboard there without credentials is reachable from this machine only. */
function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

export function registerWebCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('web')
    .description('serve the browser dashboard (overview, entrypoints, jobs, failures, workers, schedules, system)')
    .option('--port <port>', 'port to listen on (0: any free one)', integerAtLeast(0), 5173)
    .option('--host <host>', 'address to bind; anything but loopback needs --auth', '127.0.0.1')
    .option('--base-path <path>', 'serve under this path, e.g. /pgq (behind a proxy)')
    .option('--read-only', 'show everything, offer and accept no action')
    .option('--auth <user:password>', 'require HTTP basic authentication (default: $PGQ_WEB_AUTH)')
    .option('--manifest <path>', 'pgq.manifest.json, for job limits and enqueue forms ("" for none; the default is used when present)', DEFAULT_MANIFEST)
    .option('--stale-after <seconds>', 'mark workers whose heartbeat is older as stale', integerAtLeast(1), 30)
    .addHelpText('after', '\nCtrl-C stops the server. Put it behind TLS (a reverse proxy) when it leaves this machine.')
    .action(async (opts: WebOptions) => {
      const basePath = (opts.basePath ?? '').replace(/\/+$/, '');
      if (basePath !== '' && !basePath.startsWith('/')) throw new ConfigError(`--base-path must start with "/": got "${opts.basePath}"`);
      const auth = opts.auth ?? (process.env.PGQ_WEB_AUTH || undefined);
      if (auth !== undefined && !/^[^:]+:.+$/s.test(auth)) throw new ConfigError('--auth (or PGQ_WEB_AUTH) must read user:password');
      // Checked before connecting: a queue's controls on the network without a password is never what was meant.
      if (!isLoopback(opts.host) && !auth) {
        throw new ConfigError(
          `refusing to serve the dashboard on ${opts.host} without credentials: pass --auth user:password (or set PGQ_WEB_AUTH), or bind 127.0.0.1`,
        );
      }
      const manifest = opts.manifest && (opts.manifest !== DEFAULT_MANIFEST || existsSync(opts.manifest)) ? opts.manifest : undefined;
      // Loaded here only: every other command (and every worker) runs without the dashboard's code.
      const { dashboard } = await import('../web/index.js');
      // Connected before listening, so a wrong URL or a missing schema is one clear error at start.
      const pgq = await PgQueuer.connect(connectionOf(globals()), { schema: schemaOf(globals()), metrics: false });
      const handler = dashboard({
        pgq,
        basePath,
        readOnly: opts.readOnly ?? false,
        ...(auth ? { auth } : {}),
        ...(manifest ? { manifest } : {}),
        staleAfterSeconds: opts.staleAfter,
      });
      const home = `${basePath}/`;
      // Outside the base path (the bare host, typed by hand): send the browser to the dashboard.
      const server = createServer((req, res) =>
        handler(req, res, () => {
          res.writeHead(302, { location: home });
          res.end();
        }),
      );
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) =>
          reject(err.code === 'EADDRINUSE' ? new ConfigError(`port ${opts.port} on ${opts.host} is in use: pass --port`) : err),
        );
        server.listen(opts.port, opts.host, resolve);
      });
      const { port } = server.address() as AddressInfo;
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      console.log(`pgq web: http://${host}:${port}${home}${opts.readOnly ? ' (read-only)' : ''}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      // Live streams never end on their own: close them, then the listening socket.
      server.closeAllConnections();
      await Promise.all([new Promise((resolve) => server.close(resolve)), handler.close()]);
      await pgq.stop();
    });
}
