import type { Handlers } from '../pgq.generated.js';

/** Hands the email to the (pretend) mail server, which turns down every first delivery. */
export const sendEmail: Handlers['sendEmail'] = async (job, ctx) => {
  const { to, subject, tags } = job.payload; // typed and validated: tags defaulted to []
  if (job.attempt === 1) {
    console.log(`[worker]  sendEmail ${job.id} attempt 1: mail server busy; failing, the retry policy brings it back`);
    throw new Error(`mail server busy, could not deliver "${subject}" to ${to}`);
  }
  console.log(`[worker]  sendEmail ${job.id} attempt ${job.attempt}: delivered to ${to} (tags: ${JSON.stringify(tags)})`);
  ctx.logger.info({ to, tags }, 'email sent');
  return { messageId: `msg-${job.id}-${job.attempt}` };
};
