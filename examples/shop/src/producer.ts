import { PgQueuer, ValidationError } from 'pgqueuer';
import pg from 'pg';
import { createClient } from './pgq.generated.js';

/** What a web app does: enqueue typed jobs, some inside its own transaction, and await results. */
export async function produce(databaseUrl: string): Promise<void> {
  const pgq = await PgQueuer.connect(databaseUrl);
  const { enqueue } = createClient(pgq);
  try {
    const email = await enqueue.sendEmail({ to: 'ada@example.com', subject: 'Welcome!', body: 'Hello Ada' }, { dedupeKey: 'welcome:ada' });
    console.log(`[produce] sendEmail job ${email.id} enqueued (the first delivery attempt will fail)`);

    const images = await enqueue.resizeImage.many([
      { payload: { key: 'cat.png', widths: [320, 640] } },
      { payload: { key: 'dog.png', widths: [320, 640, 1280] } },
      { payload: { key: 'owl.png', widths: [160] }, priority: 9 },
    ]);
    console.log(`[produce] resizeImage jobs ${images.map((i) => i.id).join(', ')} enqueued in one statement`);

    // The order row and its job commit together, or not at all.
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query('BEGIN');
      await enqueue.recordOrder({ orderId: 1001, totalCents: 4_250 }, { client });
      await client.query('COMMIT');
      await client.query('BEGIN');
      await enqueue.recordOrder({ orderId: 1002, totalCents: 999 }, { client });
      await client.query('ROLLBACK'); // never runs
    } finally {
      await client.end();
    }

    try {
      // @ts-expect-error -- not an email address, and no subject: refused before anything is written
      await enqueue.sendEmail({ to: 'not-an-email', body: 'x' });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      console.log(`[produce] refused: ${err.message}`);
    }

    const { messageId } = await email.result({ timeoutMs: 15_000 });
    console.log(`[result]  sendEmail ${email.id} delivered as ${messageId}`);
    for (const image of images) {
      const { variants } = await image.result({ timeoutMs: 15_000 });
      console.log(`[result]  resizeImage ${image.id}: ${variants.join(', ')}`);
    }
  } finally {
    await pgq.stop();
  }
}
