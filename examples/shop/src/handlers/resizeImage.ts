import type { Handlers } from '../pgq.generated.js';

/** At most two run at once across all workers (concurrencyLimit in the schema). */
export const resizeImage: Handlers['resizeImage'] = async (job, ctx) => {
  const variants: string[] = [];
  for (const width of job.payload.widths) {
    ctx.signal.throwIfAborted(); // canceled, or the worker is shutting down
    await new Promise((resolve) => setTimeout(resolve, 20)); // the actual resizing
    variants.push(`${job.payload.key}@${width}w`);
  }
  console.log(`[worker]  resizeImage ${job.id} (priority ${job.priority}): ${variants.length} variants of ${job.payload.key}`);
  return { variants };
};
