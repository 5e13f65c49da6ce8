import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PgQueuerError } from '../errors.js';
import { childNodeFlags, siblingScript } from './node-child.js';

/** The embedded PostgreSQL of `pgq dev`, running in its host process. */
export interface DevDatabase {
  readonly url: string;
  /** Stops the server and its host; resolves once both are gone. */
  stop(): Promise<void>;
}

type HostMessage = { type: 'ready'; url: string } | { type: 'failed'; message: string };

/**
 * Starts `pgq dev`'s embedded PostgreSQL (data in .pgq/data) in a host process of its own
 * process group (see embedded-database-host.ts for why), and resolves once it accepts
 * connections. The server outlives every restart of the worker.
 */
export async function startDevDatabase(port: number): Promise<DevDatabase> {
  const dataDir = resolve('.pgq', 'data');
  mkdirSync(dataDir, { recursive: true });
  const host = spawn(process.execPath, [...childNodeFlags(), siblingScript(import.meta.url, 'embedded-database-host'), dataDir, String(port)], {
    detached: true,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolveExit) => host.once('exit', () => resolveExit()));
  const message = await new Promise<HostMessage | undefined>((resolveMessage) => {
    host.once('message', (m: HostMessage) => resolveMessage(m));
    host.once('exit', () => resolveMessage(undefined));
    host.once('error', () => resolveMessage(undefined));
  });
  if (message?.type !== 'ready') {
    host.kill('SIGKILL');
    throw new PgQueuerError(message?.message ?? 'the embedded PostgreSQL\'s host process ended before the server started');
  }
  return {
    url: message.url,
    async stop() {
      if (host.exitCode !== null || host.signalCode !== null) return;
      host.send({ type: 'stop' }, (err) => err && host.kill('SIGINT'));
      await exited;
    },
  };
}
