import type { Subscription } from '../port/rows.js';
import type { TransactionClient } from '../types.js';

/**
 * The seam between pgqueuer's SQL and a PostgreSQL client library: the statements and the
 * backend talk to this interface, so the `pg` adapter is the only module that knows `pg`.
 */

/**
 * A SQL statement. A non-empty name lets the adapter prepare it once per connection; an empty
 * name sends it unprepared (required for multi-statement text such as migrations).
 */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

export interface Queryable {
  query<Row = Record<string, unknown>>(statement: Statement, values?: readonly unknown[]): Promise<Row[]>;
}

export interface Notification {
  readonly channel: string;
  readonly payload: string;
}

export interface ListenCallbacks {
  onNotification(notification: Notification): void;
  /** The listening connection was re-established; notifications may have been missed. */
  onReconnect?(): void;
  /** The listening connection failed; the adapter keeps retrying. */
  onError?(error: Error): void;
}

export interface Driver extends Queryable {
  /** Runs `fn` in a transaction on one connection; commits if it resolves, rolls back if not. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** LISTENs on the channels on a dedicated connection that reconnects by itself. */
  listen(channels: readonly string[], callbacks: ListenCallbacks): Promise<Subscription>;
  /** A queryable bound to the caller's own client (its open transaction). */
  onClient(client: TransactionClient): Queryable;
  /** Releases what the driver opened. A pool passed in by the caller is left open. */
  close(): Promise<void>;
}
