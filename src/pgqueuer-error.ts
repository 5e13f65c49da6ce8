/**
 * Every error pgqueuer throws on purpose is a `PgQueuerError`, so callers can tell them from
 * their own failures with one `instanceof`, and each subclass carries the facts a caller needs
 * to act on (the key, the entrypoint, the path) as fields, not only in the message.
 */
export class PgQueuerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
