/**
 * One lifecycle for everything with timers or connections of its own (the scheduler, the
 * rescuer, retention, the completion watcher): `start()` begins its work, `stop()` ends it and
 * resolves once nothing of it is in flight. The worker starts its services in order and stops
 * them in reverse.
 */
export interface Service {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The backend's clock jumped (a test clock): re-check now what is due, instead of at the next timer. */
  timeChanged?(): void;
}
