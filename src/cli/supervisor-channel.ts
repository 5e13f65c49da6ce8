/**
 * The IPC channel between `pgq dev` (the supervisor) and the `pgq run` child it restarts on
 * every change. A graceful stop goes over the channel; a signal after it (a second Ctrl-C,
 * passed on by the supervisor) is the child's cue to abandon running jobs, as in `pgq run`.
 */

/** What the supervisor sends its worker child. */
export type SupervisorMessage = { type: 'stop' };
/**
 * What the child sends: it listens for stops. A message sent before that would be lost (node
 * drops IPC messages nobody listens to), so until then the supervisor stops it with a signal:
 * a child that far from running holds no jobs.
 */
export type ChildMessage = { type: 'listening' };

export const STOP: SupervisorMessage = { type: 'stop' };

/**
 * In a `pgq run` started by `pgq dev`: calls `stop` when the supervisor asks, or when it is
 * gone (its channel closed: killed, crashed), so no worker outlives its supervisor. Does
 * nothing in a process that has no IPC channel.
 */
export function onSupervisorStop(stop: () => void): void {
  if (typeof process.send !== 'function') return;
  let called = false;
  const once = (): void => {
    if (called) return;
    called = true;
    stop();
  };
  process.on('message', (message: unknown) => {
    if ((message as Partial<SupervisorMessage> | null)?.type === 'stop') once();
  });
  process.once('disconnect', once);
  process.send({ type: 'listening' } satisfies ChildMessage);
}
