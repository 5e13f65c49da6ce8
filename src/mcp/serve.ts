import type { Logger } from '../types.js';
import type { Manifest } from '../cli/manifest.js';
import { registerEnqueueTools } from './enqueue-tools.js';
import { registerReadTools, type QueueReaders } from './read-tools.js';
import { loadMcpSdk } from './sdk.js';

export interface McpServeOptions {
  version: string;
  /** Jobs to offer `enqueue_<job>` tools for; undefined: read-only. */
  enqueue?: Manifest;
  logger: Logger;
}

const INSTRUCTIONS = [
  'Tools over a pgqueuer job queue (PostgreSQL). Job statuses: scheduled, queued, picked (running), held (failed, kept until requeued);',
  'finished: successful, exception (failed), canceled. Start with queue_size and recent_failures; get_job shows one job with every attempt.',
].join(' ');

/**
 * Serves MCP over stdin/stdout until the client goes away (stdin ends) or the process is told
 * to stop. stdout carries the protocol only: anything else written there would corrupt it.
 */
export async function serveMcp(readers: QueueReaders, options: McpServeOptions): Promise<void> {
  const { McpServer, StdioServerTransport } = await loadMcpSdk();
  const server = new McpServer({ name: 'pgqueuer', version: options.version }, { instructions: INSTRUCTIONS });
  registerReadTools(server, readers);
  const enqueueTools = options.enqueue ? registerEnqueueTools(server, readers.pgq, options.enqueue, options.logger) : [];

  // A stray console.log (ours or a dependency's) would land in the middle of the protocol.
  const log = console.log;
  console.log = console.error;
  const transport = new StdioServerTransport();
  try {
    const closed = new Promise<void>((resolve) => {
      transport.onclose = resolve;
      // The transport does not notice the client leaving: stdin ending is how it does.
      process.stdin.once('end', resolve);
      process.stdin.once('close', resolve);
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.connect(transport);
    options.logger.info(
      { enqueueTools },
      `pgq mcp: serving on stdio (${enqueueTools.length > 0 ? `enqueue tools: ${enqueueTools.join(', ')}` : 'read-only'})`,
    );
    await closed;
  } finally {
    await server.close().catch(() => {});
    console.log = log;
  }
}
