import type { Handlers } from '{{generatedImport}}';

/** Runs on each tick of "{{schedule}}"{{timezoneNote}}. Throwing fails the tick; its retry policy decides what follows. */
export const {{name}}: Handlers['{{name}}'] = async (tick, ctx) => {
  // TODO: implement {{name}}. tick.scheduledAt is the tick's time; ctx.signal aborts on shutdown.
  throw new Error('{{name}} is not implemented yet');
};
