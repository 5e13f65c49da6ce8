import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { integerAtLeast } from './arguments.js';
import { connectionOf, schemaOf, type GlobalOptions } from './context.js';
import { renderFrame } from './dashboard-frame.js';
import { runLiveDashboard } from './dashboard-live.js';
import { withOperator } from '../admin.js';
import { fitWidth } from './terminal-text.js';

const LIVE_QUERY_TIMEOUT_MS = 10_000;

interface DashboardOptions {
  once?: boolean;
  interval: number;
  staleAfter: number;
}

export function registerDashboardCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('dashboard')
    .description('live terminal view: queue depth, throughput, recent failures, workers and schedules')
    .option('--once', 'print one plain-text frame (no escape codes) and exit, for scripts')
    .option('--interval <ms>', 'refresh interval in milliseconds', integerAtLeast(100), 1_000)
    .option('--stale-after <seconds>', 'mark workers whose heartbeat is older as STALE', integerAtLeast(1), 30)
    .addHelpText('after', '\nIn the live view, q or Ctrl-C quits and restores the terminal.')
    .action(async (opts: DashboardOptions) => {
      // Checked before connecting: redrawing a screen into a pipe or a file makes no sense.
      if (!opts.once && !process.stdout.isTTY) {
        throw new ConfigError('the live dashboard needs an interactive terminal; pass --once to print a single frame');
      }
      // A refresh stuck on a dead network shows up as a failed refresh, and never blocks quitting for long.
      const options = { schema: schemaOf(globals()), ...(opts.once ? {} : { queryTimeoutMs: LIVE_QUERY_TIMEOUT_MS }) };
      await withOperator(connectionOf(globals()), options, async (operator) => {
        if (opts.once) {
          // Cut to the terminal's width when there is one; a pipe gets whole lines.
          const width = process.stdout.isTTY ? process.stdout.columns : undefined;
          const lines = renderFrame(await operator.snapshot(), { staleAfterSeconds: opts.staleAfter });
          process.stdout.write(lines.map((l) => `${fitWidth(l.text, width)}\n`).join(''));
          return;
        }
        await runLiveDashboard(() => operator.snapshot(), { intervalMs: opts.interval, staleAfterSeconds: opts.staleAfter });
      });
    });
}
