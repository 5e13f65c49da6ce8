/**
 * The IPC channel between `pgq dev` (the supervisor) and the `pgq run` child it restarts on
 * every change. A stop goes over the channel, not as a signal: Ctrl-C in a terminal already
 * sends SIGINT to the child too, and a second signal would make it abandon running jobs.
 */

/** What the supervisor sends its worker child. */
export type SupervisorMessage = { type: 'stop' };

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
}
