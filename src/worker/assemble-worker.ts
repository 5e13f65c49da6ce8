import type { Service } from '../lifecycle.js';
import { Rescuer } from '../maintenance/rescuer.js';
import { Retention } from '../maintenance/retention.js';
import type { Instruments } from '../observability/instruments.js';
import type { ResolvedEntrypoint, ResolvedSchedule, Settings } from '../options.js';
import type { QueueBackend } from '../port/queue-backend.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { Worker } from './worker.js';

/**
 * An instance's worker with its services, started in this order (and stopped in reverse):
 * the scheduler (when there are schedules), the rescuer, retention.
 */
export function assembleWorker(
  backend: QueueBackend,
  handlers: ReadonlyMap<string, ResolvedEntrypoint>,
  schedules: ReadonlyMap<string, ResolvedSchedule>,
  settings: Settings,
  instruments: Instruments,
): Worker {
  const { logger, worker: options, retention } = settings;
  const services: Service[] = [];
  if (schedules.size > 0) services.push(new Scheduler(backend, schedules, logger));
  const rescuePolicies = [...handlers.values()].map((e) => ({ entrypoint: e.name, rescueAfterMs: e.rescueAfterMs }));
  // Rescued jobs are runnable at once: the worker claims them without waiting for its poll.
  services.push(new Rescuer(backend, rescuePolicies, options.heartbeatIntervalMs, logger, instruments, () => worker.wake()));
  const { intervalMs, ...policy } = retention;
  services.push(new Retention(backend, policy, intervalMs, logger));
  const worker = new Worker(backend, handlers, options, logger, { services, instruments });
  return worker;
}
