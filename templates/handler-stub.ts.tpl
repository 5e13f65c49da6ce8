import type { Handlers } from '{{generatedImport}}';

/** Runs each `{{name}}` job. Throwing fails the attempt; the job's retry policy decides what follows. */
export const {{name}}: Handlers['{{name}}'] = async (job, ctx) => {
  // TODO: implement {{name}}. job.payload is typed and already validated; ctx.signal aborts on cancel.
  throw new Error('{{name}} is not implemented yet');
};
