import type { IncomingMessage, ServerResponse } from 'node:http';

/** Renders the live regions of one page: region id → its current markup. */
export type RegionRenderer = () => Promise<Map<string, string>>;

/**
 * Server-sent events for one open page: every `intervalMs` its live regions are rendered
 * again and the ones that changed are sent; the page's script swaps them in place. A render
 * never overlaps the previous one, so a slow database slows the stream instead of piling up
 * queries, and a failed render is reported and retried at the next tick.
 */
export function streamRegions(req: IncomingMessage, res: ServerResponse, render: RegionRenderer, intervalMs: number): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no', // nginx would otherwise hold events back
    connection: 'keep-alive',
  });
  res.write('retry: 3000\n\n');
  const sent = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const tick = async (): Promise<void> => {
    try {
      const regions = await render();
      const changed: Record<string, string> = {};
      for (const [id, markup] of regions) {
        if (sent.get(id) !== markup) changed[id] = markup;
        sent.set(id, markup);
      }
      if (closed) return;
      // The first render is sent whole: the page may have changed since it was served.
      if (Object.keys(changed).length > 0) res.write(`event: regions\ndata: ${JSON.stringify(changed)}\n\n`);
      else res.write(': idle\n\n');
    } catch (err) {
      if (!closed) res.write(`event: failure\ndata: ${JSON.stringify(String((err as Error)?.message ?? err).split('\n')[0])}\n\n`);
    }
    if (!closed) timer = setTimeout(() => void tick(), intervalMs);
  };
  req.on('close', () => {
    closed = true;
    clearTimeout(timer);
  });
  void tick();
}
