import { z } from 'zod';
import { defineJobs } from 'pgqueuer';

// Declare each job once: its payload (a zod object), optionally its result, and its policy.
// Then run `npx pgq generate` for the typed client (src/pgq.generated.ts) and handler stubs.
export default defineJobs({
  sendWelcomeEmail: {
    payload: z.object({ userId: z.number().int(), email: z.email() }),
    result: z.object({ messageId: z.string() }),
    retry: { maxAttempts: 5, initialDelayMs: 1_000, maxDelayMs: 60_000 },
  },
  cleanup: { schedule: '0 3 * * *', timezone: 'UTC' },
});
