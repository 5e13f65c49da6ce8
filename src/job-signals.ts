/**
 * The base of the reasons a running job's `ctx.signal` is aborted with. Not a `PgQueuerError`:
 * a handler that catches pgqueuer's errors (`catch (e) { if (e instanceof PgQueuerError) … }`)
 * must not swallow its own abort by accident.
 */
export class PgQueuerSignal extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The reason a running job's `ctx.signal` is aborted when someone cancels the job. */
export class JobCanceledSignal extends PgQueuerSignal {
  constructor(readonly jobId: number) {
    super(`job ${jobId} was canceled`);
  }
}

/**
 * The reason a running job's `ctx.signal` is aborted when the worker shuts down before the
 * handler finished, or loses the job to another worker (its heartbeat was too old).
 */
export class JobAbandonedSignal extends PgQueuerSignal {
  constructor(
    readonly jobId: number,
    readonly why: 'shutdown' | 'lost',
  ) {
    super(
      why === 'shutdown'
        ? `worker shut down before job ${jobId} finished; the job goes back to the queue`
        : `job ${jobId} was taken over by another worker after its heartbeat expired`,
    );
  }
}

/** The reason a running job's `ctx.signal` is aborted when its attempt ran past `timeoutMs`. */
export class JobTimeoutSignal extends PgQueuerSignal {
  constructor(
    readonly jobId: number,
    readonly timeoutMs: number,
  ) {
    super(`job ${jobId} ran longer than its timeout of ${timeoutMs} ms`);
  }
}
