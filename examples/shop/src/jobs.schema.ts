import { z } from 'zod';
import { defineJobs } from 'pgqueuer';

// Every job of the shop, declared once. `npx pgq generate` turns this into a typed client
// (src/pgq.generated.ts) and handler stubs (src/handlers/).
export default defineJobs({
  sendEmail: {
    payload: z.object({
      to: z.email().describe('Recipient address'),
      subject: z.string().min(1),
      body: z.string(),
      tags: z.array(z.string()).default([]),
    }),
    result: z.object({ messageId: z.string() }),
    // The mail server is flaky: try three times, 200 ms then 400 ms apart (± jitter).
    retry: { maxAttempts: 3, initialDelayMs: 200, maxDelayMs: 2_000 },
    rateLimit: { perSecond: 50 },
  },
  resizeImage: {
    payload: z.object({
      key: z.string(),
      widths: z.array(z.number().int().positive()).min(1),
    }),
    result: z.object({ variants: z.array(z.string()) }),
    concurrencyLimit: 2,
    priority: 5,
  },
  recordOrder: {
    payload: z.object({ orderId: z.number().int(), totalCents: z.number().int().nonnegative() }),
    serializedDispatch: true,
  },
  // Every 2 seconds for the demo; a real one would read '0 3 * * *' with a timezone.
  salesReport: { schedule: '*/2 * * * * *', timezone: 'Europe/Amsterdam' },
});
