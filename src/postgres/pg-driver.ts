import pg from 'pg';
import type { Subscription } from '../port/rows.js';
import type { Logger, TransactionClient } from '../types.js';
import { configuredUser, describeTarget } from './connection.js';
import type { Driver, ListenCallbacks, Queryable, Statement } from './driver.js';
import { typedFault, type FaultSite, type FaultStage } from './fault.js';
import { unprepared } from './statement.js';

const BEGIN = unprepared('BEGIN');
const COMMIT = unprepared('COMMIT');

export interface PgDriverOptions {
  /** Close the pool on `close()`: true when pgqueuer created it. */
  ownsPool: boolean;
  /**
   * Prepare each statement once per connection (faster). Turn off behind a pooler that does
   * not support named prepared statements (PgBouncer in transaction mode before 1.21).
   */
  preparedStatements: boolean;
  /**
   * Where LISTEN connects, when not where the pool does: a direct connection beside a pooler
   * in transaction mode, which would hand a LISTENing session to other clients.
   */
  listen?: pg.ClientConfig | undefined;
  logger: Logger;
}

/** The `pg` (node-postgres) adapter behind the Driver port. */
export class PgDriver implements Driver {
  private readonly listeners = new Set<PgListener>();
  private readonly onPoolError = (err: Error): void => {
    // An idle pooled connection died (server restart, pg_terminate_backend). The pool drops
    // it and opens a new one on demand; without this handler node would crash the process.
    this.options.logger.warn({ err }, 'pgqueuer: idle database connection lost');
  };

  private readonly target: string;
  /** A client kept checked out between statements (giveBack), free for the next one. */
  private kept: pg.PoolClient | undefined;
  private keptUsed = false;
  private keptCheck: NodeJS.Timeout | undefined;
  private closing = false;
  /** The kept client's connection died while kept: the pool discards it. */
  private readonly keptFailed = (err: Error): void => this.dropKept(err);

  constructor(
    readonly pool: pg.Pool,
    private readonly options: PgDriverOptions,
  ) {
    this.target = describeTarget(pool.options);
    pool.on('error', this.onPoolError);
  }

  async query<Row>(statement: Statement, values: readonly unknown[] = []): Promise<Row[]> {
    // Connected first, then sent (what pool.query does in one step), so a failure tells
    // whether the statement reached the server: only then may a lost one have committed.
    const client = await this.connect();
    try {
      const result = await client.query<Row & pg.QueryResultRow>(this.config(statement, values));
      this.giveBack(client);
      return result.rows;
    } catch (err) {
      const typed = await this.fault(err, 'statement', statement, client);
      // As pool.query does: a client whose query failed is not reused.
      this.giveBack(client, err as Error);
      throw typed;
    }
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.connect();
    let broken: Error | undefined;
    const send = async <Row>(stage: FaultStage, statement: Statement, values: readonly unknown[] = []): Promise<Row[]> => {
      try {
        return (await client.query<Row & pg.QueryResultRow>(this.config(statement, values))).rows;
      } catch (err) {
        throw await this.fault(err, stage, statement);
      }
    };
    try {
      await send('transaction', BEGIN);
      const result = await fn({ query: (statement, values) => send('transaction', statement, values) });
      // Lost during COMMIT, the transaction may or may not have committed.
      await send('statement', COMMIT);
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => {
        broken = rollbackErr;
      });
      throw err;
    } finally {
      // A connection whose rollback failed is in an unknown state: destroy it, don't reuse it.
      this.giveBack(client, broken);
    }
  }

  onClient(client: TransactionClient): Queryable {
    // The caller's client may belong to another pool or library; plain text queries work
    // everywhere, and a transactional enqueue is not the hot path.
    return {
      query: async <Row>(statement: Statement, values: readonly unknown[] = []) => {
        try {
          return (await client.query(statement.text, [...values])).rows as Row[];
        } catch (err) {
          const site: FaultSite = { stage: 'caller', target: "the caller's client", statement };
          const role = (client as { user?: unknown }).user;
          if (typeof role === 'string') site.role = role;
          throw await typedFault(err, site);
        }
      },
    };
  }

  async listen(channels: readonly string[], callbacks: ListenCallbacks): Promise<Subscription> {
    const config = this.options.listen ?? this.pool.options;
    const listener = new PgListener(config, channels, callbacks, () => this.listeners.delete(listener));
    try {
      await listener.start();
    } catch (err) {
      // LISTEN writes nothing: a failure is one to connect, whenever it came.
      if (!this.options.listen) throw await this.fault(err, 'connecting');
      const site: FaultSite = { stage: 'connecting', target: describeTarget(config) };
      const role = configuredUser(config);
      if (role !== undefined) site.role = role;
      throw await typedFault(err, site);
    }
    this.listeners.add(listener);
    return listener;
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.keptCheck);
    this.dropKept();
    await Promise.all([...this.listeners].map((l) => l.close()));
    if (this.options.ownsPool) {
      // The listener stays: a client still closing after end() resolves can report an error
      // (the server shutting down), and an unheard pool 'error' would crash the process.
      await this.pool.end();
    } else {
      this.pool.off('error', this.onPoolError);
    }
  }

  /** The kept client, else a pooled one; to give back with `giveBack`. */
  private connect(): Promise<pg.PoolClient> {
    const kept = this.kept;
    if (kept) {
      kept.off('error', this.keptFailed);
      this.kept = undefined;
      this.keptUsed = true;
      return Promise.resolve(kept);
    }
    return new Promise((resolve, reject) => {
      // The callback, not the promise: the pool hands a client over inside its socket's
      // handler, and an 'error' in the same chunk would find no listener a microtask later.
      this.pool.connect((err, client) => {
        if (err || !client) {
          this.fault(err, 'connecting').then(reject, reject);
          return;
        }
        client.on('error', ignoreWhileCheckedOut);
        resolve(client);
      });
    });
  }

  /**
   * Keeps a sound client checked out for the next statement, rather than giving it to the
   * pool: a checkout from pg-pool (a tick, its timers and events) runs cold on an idle
   * enqueue (bench/cold-steps.ts times one against the kept client). Only from a pool pgqueuer owns
   * (a caller's pool is theirs to share), one client at most, and only while nobody waits for
   * the pool; given back after an idle timeout's worth of disuse (`keptCheck`), when it fails,
   * and on close.
   */
  private giveBack(client: pg.PoolClient, err?: Error): void {
    if (!err && !this.kept && !this.closing && this.options.ownsPool && this.pool.waitingCount === 0) {
      this.kept = client;
      client.on('error', this.keptFailed);
      this.keptCheck ??= setInterval(() => {
        if (!this.keptUsed) this.dropKept();
        this.keptUsed = false;
      }, this.pool.options.idleTimeoutMillis || IDLE_KEPT_MS).unref();
      return;
    }
    release(client, err);
  }

  private dropKept(err?: Error): void {
    const kept = this.kept;
    this.kept = undefined;
    if (!kept) return;
    kept.off('error', this.keptFailed);
    release(kept, err);
  }

  /** The driver's error typed; `client`, when its session is still usable, to ask what a denied role lacks. */
  private fault(err: unknown, stage: FaultStage, statement?: Statement, client?: pg.PoolClient): Promise<unknown> {
    const site: FaultSite = { stage, target: this.target };
    if (statement) {
      site.statement = statement;
      site.prepared = this.isPrepared(statement);
    }
    const role = (client as { user?: string } | undefined)?.user ?? configuredUser(this.pool.options);
    if (role !== undefined) site.role = role;
    if (client) {
      site.session = { query: async <Row>(s: Statement, v: readonly unknown[] = []) => (await client.query<Row & pg.QueryResultRow>(this.config(s, v))).rows };
    }
    return typedFault(err, site);
  }

  private config(statement: Statement, values: readonly unknown[]): pg.QueryConfig {
    return this.isPrepared(statement)
      ? { name: statement.name, text: statement.text, values: values as unknown[] }
      : { text: statement.text, values: values as unknown[] };
  }

  private isPrepared(statement: Statement): boolean {
    return this.options.preparedStatements && statement.name !== '';
  }
}

/**
 * A checked-out client emits 'error' when its connection dies (the pool listens only to idle
 * ones), and an unheard 'error' crashes the process. The query in flight rejects with the
 * same error, and a later one with "not queryable": the caller hears it there.
 */
function ignoreWhileCheckedOut(): void {}

function release(client: pg.PoolClient, err?: Error): void {
  client.off('error', ignoreWhileCheckedOut);
  client.release(err);
}

/** How long a kept client may go unused when the pool has no idle timeout of its own. */
const IDLE_KEPT_MS = 10_000;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

/**
 * A dedicated connection that LISTENs and re-LISTENs after any failure, with capped
 * exponential backoff. Pool connections can't be used: LISTEN is per session, and a pool may
 * hand the session to someone else or recycle it.
 */
class PgListener implements Subscription {
  private client: pg.Client | undefined;
  private closed = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channels: readonly string[],
    private readonly callbacks: ListenCallbacks,
    private readonly onClosed: () => void,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    this.onClosed();
    if (client) await client.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ ...this.config, keepAlive: true });
    client.on('notification', (msg) => {
      this.callbacks.onNotification({ channel: msg.channel, payload: msg.payload ?? '' });
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('listening connection ended')));
    try {
      await client.connect();
      for (const channel of this.channels) await client.query(`LISTEN "${channel}"`);
    } catch (err) {
      client.end().catch(() => {});
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
  }

  private lost(client: pg.Client, err: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => {});
    if (this.closed) return;
    this.callbacks.onError?.(err);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** this.failures);
    this.retryTimer = setTimeout(() => {
      this.connect().then(
        () => {
          if (this.closed) return;
          this.failures = 0;
          this.callbacks.onReconnect?.();
        },
        (err: Error) => {
          if (this.closed) return;
          this.failures++;
          this.callbacks.onError?.(err);
          this.scheduleReconnect();
        },
      );
    }, delay);
  }
}
