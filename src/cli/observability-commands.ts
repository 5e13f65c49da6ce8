import type { Command } from 'commander';
import type { GlobalOptions } from './context.js';
import { registerDashboardCommand } from './dashboard-command.js';
import { registerFailureCommands } from './failure-commands.js';

/** `pgq dashboard`, `pgq failures` and `pgq retry`: seeing what the queue does, and acting on failures. */
export function registerObservabilityCommands(program: Command, globals: () => GlobalOptions): void {
  registerDashboardCommand(program, globals);
  registerFailureCommands(program, globals);
}
