/**
 * The backend refused a batch of outcomes for what it carries (a value it cannot store, a
 * constraint added behind pgqueuer's back). Unlike a lost connection, sending the same batch
 * again fails the same way, so the completion writer retries outcome by outcome instead.
 */
export class OutcomeRefusedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OutcomeRefusedError';
  }
}
