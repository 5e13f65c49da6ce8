/**
 * The process that holds `pgq dev`'s embedded PostgreSQL. `pgq dev` starts it in a process
 * group of its own, so the Ctrl-C a terminal sends to its whole foreground group does not
 * reach the server: PostgreSQL takes SIGINT as "shut down now", which would cut the database
 * away under the worker's graceful stop. It stops the server when `pgq dev` asks, or when
 * `pgq dev` is gone (the IPC channel closed).
 *
 * argv: <data dir> <port>. Messages: it sends {type:'ready', url} or {type:'failed', message};
 * it takes {type:'stop'}.
 */
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../postgres/embedded.js';

const [dataDir, port] = process.argv.slice(2);
let server: EmbeddedPostgres | undefined;
let stopping = false;

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server?.stop().catch(() => {});
  process.exit(0);
}

// Asked to stop while the server is still starting: it stops once started.
process.on('message', (message: { type?: string } | null) => message?.type === 'stop' && void (server ? stop() : (stopping = true)));
process.once('disconnect', () => void (server ? stop() : (stopping = true)));

try {
  server = await startEmbeddedPostgres({ dataDir: dataDir!, port: Number(port) });
  if (stopping) {
    stopping = false;
    await stop();
  }
  process.send?.({ type: 'ready', url: server.url });
} catch (err) {
  process.send?.({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  process.disconnect?.();
  process.exitCode = 2;
}
