import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { FINGERPRINT_HEADER, install, PgQueuer } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { pgqMain, runPgq } from '../support/pgq-cli.js';
import { FAST, startWorker } from '../support/queue.js';
import { startProxy } from '../support/tcp-proxy.js';

let db: TestDatabase;
let producer: PgQueuer;
let manifestPath: string;
const failedId = { value: 0 };

/** A manifest as `pgq generate` writes it: an object payload, a string payload, none, and a scheduled job. */
const sendEmailPayload = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    to: { type: 'string', format: 'email', description: 'Recipient address' },
    subject: { type: 'string', minLength: 1 },
    tags: { default: [], type: 'array', items: { type: 'string' } },
  },
  required: ['to', 'subject'],
};
const manifest = {
  generatedBy: 'pgq generate',
  schemaFile: 'jobs.schema.ts',
  jobs: {
    sendEmail: { fingerprint: 'f00dfeedf00dfeed', schedule: null, timezone: null, options: { priority: 3 }, payload: sendEmailPayload, result: null },
    label: { fingerprint: 'abcdabcdabcdabcd', schedule: null, timezone: null, options: {}, payload: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'string', minLength: 2 }, result: null },
    ping: { fingerprint: '0123012301230123', schedule: null, timezone: null, options: {}, payload: null, result: null },
    nightly: { fingerprint: '9999999999999999', schedule: '0 3 * * *', timezone: 'UTC', options: {}, payload: null, result: null },
  },
};

before(async () => {
  db = await createTestDatabase();
  await install(db.url);
  producer = await PgQueuer.connect(db.url);
  manifestPath = join(mkdtempSync(join(tmpdir(), 'pgq-mcp-')), 'pgq.manifest.json');
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));

  // One job that fails for good, so the log has a failure to find.
  const worker = await PgQueuer.connect(db.url, FAST);
  worker.entrypoint('boom', { retry: { maxAttempts: 1 } }, async () => {
    throw new TypeError('upstream said 503\nat the gateway');
  });
  const stopWorker = startWorker(worker);
  try {
    failedId.value = await producer.enqueue('boom', { n: 1 });
    assert.equal((await producer.waitFor(failedId.value, { timeoutMs: 20_000 })).status, 'exception');
  } finally {
    await stopWorker();
  }
});

after(async () => {
  await producer?.stop();
  await db?.drop();
});

/** Starts `pgq mcp <args>` as an assistant would: a child process spoken to over its stdin and stdout. */
async function connect(args: string[], databaseUrl = db.url): Promise<{ client: Client; stderr: () => string }> {
  const env = Object.fromEntries(Object.entries({ ...process.env, DATABASE_URL: databaseUrl }).filter(([k, v]) => v !== undefined && k !== 'PGQ_SCHEMA')) as Record<string, string>;
  const transport = new StdioClientTransport({ command: process.execPath, args: ['--import', 'tsx', pgqMain, 'mcp', ...args], env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr += d));
  const client = new Client({ name: 'pgqueuer-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ isError: boolean; text: string; json: () => any }> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
  return { isError: result.isError === true, text, json: () => JSON.parse(text) };
}

describe('pgq mcp', () => {
  test('read-only tools answer from the real queue; no enqueue tools without --allow-enqueue', async () => {
    const { client, stderr } = await connect([]);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name).sort();
      assert.deepEqual(names, ['get_job', 'list_jobs', 'paused_entrypoints', 'queue_size', 'recent_failures', 'schedules', 'schema_check', 'throughput', 'verify_schema', 'workers']);

      const ids = [await producer.enqueue('email', { to: 'a@example.com' }), await producer.enqueue('email', { to: 'b@example.com' }, { priority: 5 })];
      await producer.enqueue('resize', { key: 'a.png' });
      await producer.pause('resize');

      const size = await call(client, 'queue_size');
      assert.equal(size.isError, false, size.text);
      assert.deepEqual(size.json(), {
        total: 3,
        rows: [
          { entrypoint: 'email', status: 'queued', count: 2 },
          { entrypoint: 'resize', status: 'queued', count: 1, paused: true },
        ],
      });
      // Compact: one line of JSON, every byte goes to the assistant's context.
      assert.doesNotMatch(size.text, /\n/);
      assert.deepEqual((await call(client, 'queue_size', { entrypoint: 'resize' })).json().rows, [{ entrypoint: 'resize', status: 'queued', count: 1, paused: true }]);
      assert.deepEqual((await call(client, 'paused_entrypoints')).json(), ['resize']);

      const job = (await call(client, 'get_job', { id: ids[1] })).json();
      assert.equal(job.id, ids[1]);
      assert.equal(job.entrypoint, 'email');
      assert.equal(job.status, 'queued');
      assert.equal(job.priority, 5);
      assert.deepEqual(job.payload, { to: 'b@example.com' });
      assert.deepEqual(job.history, []);

      const failed = (await call(client, 'get_job', { id: failedId.value })).json();
      assert.equal(failed.status, 'exception');
      assert.equal(failed.history.length, 1);
      assert.equal(failed.history[0].status, 'exception');
      assert.match(failed.history[0].error.message, /upstream said 503/);

      const missing = await call(client, 'get_job', { id: 987654 });
      assert.equal(missing.isError, true);
      assert.match(missing.text, /no job 987654/);

      const failures = (await call(client, 'recent_failures', { limit: 5 })).json();
      assert.equal(failures.failures.length, 1);
      assert.equal(failures.failures[0].jobId, failedId.value);
      assert.equal(failures.failures[0].entrypoint, 'boom');
      assert.equal(failures.failures[0].errorName, 'TypeError');
      // First line only: stacks and later lines stay in get_job.
      assert.equal(failures.failures[0].errorMessage, 'upstream said 503');
      assert.deepEqual((await call(client, 'recent_failures', { entrypoint: 'email' })).json().failures, []);

      const throughput = (await call(client, 'throughput', { windowMinutes: 10 })).json();
      assert.equal(throughput.windowMinutes, 10);
      assert.deepEqual(throughput.entrypoints, [{ entrypoint: 'boom', finished: 1, failed: 1, finishedPerMinute: 0.1, failedPerMinute: 0.1 }]);

      // The worker above stopped, and a stopped worker removes its row.
      assert.deepEqual((await call(client, 'workers')).json(), { total: 0, workers: [] });
      assert.deepEqual((await call(client, 'schedules')).json(), []);
      const verified = (await call(client, 'verify_schema')).json();
      assert.equal(verified.ok, true);
      assert.deepEqual(verified.problems, []);

      // The SDK refuses arguments outside a read tool's schema before the tool runs.
      const badLimit = await call(client, 'recent_failures', { limit: 0 });
      assert.equal(badLimit.isError, true);
      assert.match(badLimit.text, /limit/);

      // A DBA can tell the assistant's sessions apart.
      const sessions = await db.pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'pgqueuer-mcp'`, [db.name]);
      assert.ok(sessions.rows[0].n > 0, 'sessions named pgqueuer-mcp');

      await producer.resume('resize');
      await producer.clear();
      // Logs, never protocol, go to stderr.
      assert.match(stderr(), /pgq mcp: serving on stdio \(read-only\)/);
    } finally {
      await client.close();
    }
  });

  test("schema_check: waiting jobs of a payload version the project's schema file cannot read are reported", async () => {
    const schemaFile = join(fileURLToPath(new URL('../..', import.meta.url)), 'test/conformance/fixture/jobs.schema.ts');
    const { client } = await connect(['--schema', schemaFile]);
    try {
      const fits = await call(client, 'schema_check');
      assert.equal(fits.isError, false, fits.text);
      assert.equal(fits.json().failing, 0);
      // Written by a producer of another version: no "to", which this schema requires.
      const stranded = await producer.enqueue('sendReceipt', { lines: [] }, { headers: { [FINGERPRINT_HEADER]: 'an-older-version' } });
      try {
        const report = (await call(client, 'schema_check', { sample: 10 })).json();
        assert.equal(report.failing, 1);
        const entry = report.entrypoints.find((e: { entrypoint: string }) => e.entrypoint === 'sendReceipt');
        const version = entry.versions.find((v: { fingerprint: string }) => v.fingerprint === 'an-older-version');
        assert.equal(version.examples[0].jobId, stranded);
      } finally {
        await producer.cancel([stranded]);
      }
    } finally {
      await client.close();
    }
  });

  test('schema_check without a schema file is a tool error; the other tools still work', async () => {
    const { client } = await connect(['--schema', '/nowhere/jobs.schema.ts']);
    try {
      const missing = await call(client, 'schema_check');
      assert.equal(missing.isError, true);
      assert.match(missing.text, /nowhere\/jobs\.schema\.ts/);
      assert.equal((await call(client, 'queue_size')).isError, false);
    } finally {
      await client.close();
    }
  });

  test('a running worker shows up in workers', async () => {
    const worker = await PgQueuer.connect(db.url, FAST);
    worker.entrypoint('steady', async () => {});
    const stopWorker = startWorker(worker);
    const { client } = await connect([]);
    try {
      // Registered as run() starts: wait for its row rather than for a fixed time.
      let listed: any;
      for (let i = 0; i < 100; i++) {
        listed = (await call(client, 'workers')).json();
        if (listed.total > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(listed.total, 1);
      assert.deepEqual(listed.workers[0].entrypoints, ['steady']);
      assert.equal(listed.workers[0].pid, process.pid);
      assert.equal(listed.workers[0].stale, false);
    } finally {
      await client.close();
      await stopWorker();
    }
  });

  test('--allow-enqueue adds one enqueue tool per job of the manifest, its input schema the job\'s JSON Schema', async () => {
    const { client, stderr } = await connect(['--allow-enqueue', '--manifest', manifestPath]);
    try {
      const tools = (await client.listTools()).tools;
      const enqueueTools = tools.filter((t) => t.name.startsWith('enqueue_'));
      // The scheduled job runs on its schedule: no tool for it.
      assert.deepEqual(enqueueTools.map((t) => t.name).sort(), ['enqueue_label', 'enqueue_ping', 'enqueue_sendEmail']);
      const sendEmail = enqueueTools.find((t) => t.name === 'enqueue_sendEmail')!;
      assert.deepEqual(sendEmail.inputSchema, sendEmailPayload);
      assert.equal(sendEmail.annotations?.readOnlyHint, false);
      // A payload that is not an object goes in a "payload" argument.
      const label = enqueueTools.find((t) => t.name === 'enqueue_label')!;
      assert.deepEqual(label.inputSchema, {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        properties: { payload: { type: 'string', minLength: 2 } },
        required: ['payload'],
      });

      const sent = await call(client, 'enqueue_sendEmail', { to: 'c@example.com', subject: 'hi' });
      assert.equal(sent.isError, false, sent.text);
      const { id } = sent.json();
      const job = await producer.getJob(id);
      assert.equal(job?.entrypoint, 'sendEmail');
      assert.deepEqual(job?.payload, { to: 'c@example.com', subject: 'hi' });
      // Stamped as the generated client would: the manifest's fingerprint and default priority.
      assert.equal(job?.headers?.[FINGERPRINT_HEADER], 'f00dfeedf00dfeed');
      assert.equal(job?.priority, 3);

      const bad = await call(client, 'enqueue_sendEmail', { to: 'not an address' });
      assert.equal(bad.isError, true);
      assert.match(bad.text, /invalid payload for "sendEmail"/);
      assert.match(bad.text, /to: /);
      assert.match(bad.text, /subject: /);
      const live = await producer.listJobs({ entrypoint: 'sendEmail' });
      assert.deepEqual(live.jobs.map((j) => j.id), [id], 'the refused payload was not enqueued');

      const labelled = await call(client, 'enqueue_label', { payload: 'ok' });
      assert.equal(labelled.isError, false, labelled.text);
      assert.equal((await producer.getJob(labelled.json().id))?.payload, 'ok');
      const shortLabel = await call(client, 'enqueue_label', { payload: 'x' });
      assert.equal(shortLabel.isError, true);
      assert.match(shortLabel.text, /invalid payload for "label"/);

      const pinged = await call(client, 'enqueue_ping', {});
      assert.equal(pinged.isError, false, pinged.text);
      assert.deepEqual((await producer.getJob(pinged.json().id))?.payload, {});

      assert.equal((await call(client, 'queue_size', { entrypoint: 'sendEmail' })).json().total, 1);
      assert.match(stderr(), /enqueue tools: enqueue_sendEmail, enqueue_label, enqueue_ping/);
    } finally {
      await client.close();
      await producer.clear();
    }
  });

  test('--allow-enqueue without a manifest, and an uninstalled schema, are one clear line and exit 2', async () => {
    const noManifest = await runPgq(db.url, ['mcp', '--allow-enqueue', '--manifest', join(tmpdir(), 'no-such-dir', 'pgq.manifest.json')]);
    assert.equal(noManifest.code, 2);
    assert.match(noManifest.stderr, /^pgq: --allow-enqueue needs the manifest `pgq generate` writes: .*no-such-dir.* not found/);
    assert.equal(noManifest.stdout, '');

    const noSchema = await runPgq(db.url, ['mcp', '--schema-name', 'not_installed']);
    assert.equal(noSchema.code, 2);
    assert.match(noSchema.stderr, /not_installed/);
    assert.equal(noSchema.stdout, '');
  });

  test('without the SDK installed, pgq mcp names the package to install, and every other command works', async () => {
    const hide = fileURLToPath(new URL('../fixtures/hide-mcp-sdk.mjs', import.meta.url));
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--import', hide, pgqMain, ...args], { env: { ...process.env, DATABASE_URL: db.url, PGQ_SCHEMA: undefined } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
      });
    const mcp = await run(['mcp']);
    assert.equal(mcp.code, 2);
    assert.equal(mcp.stderr, 'pgq: pgq mcp needs the "@modelcontextprotocol/sdk" package (1.x): npm install @modelcontextprotocol/sdk\n');
    assert.equal(mcp.stdout, '');
    // Only pgq mcp loads the SDK.
    const queue = await run(['queue', '--json']);
    assert.equal(queue.code, 0, queue.stderr);
    assert.deepEqual(JSON.parse(queue.stdout), []);
  });

  test('as a reader role (pgq grant --reader), every read tool works and an enqueue is refused as a tool error', async () => {
    const role = `pgq_mcp_r_${Math.random().toString(36).slice(2, 8)}`;
    await db.pool.query(`CREATE ROLE ${role} LOGIN PASSWORD 'secret'`);
    try {
      const granted = await runPgq(db.url, ['grant', '--reader', role]);
      assert.equal(granted.code, 0, granted.stderr);
      const url = new URL(db.url);
      url.username = role;
      url.password = 'secret';
      const { client } = await connect(['--allow-enqueue', '--manifest', manifestPath], url.toString());
      try {
        const reads: Array<[string, Record<string, unknown>]> = [
          ['queue_size', {}], ['get_job', { id: failedId.value }], ['list_jobs', { status: 'exception' }], ['recent_failures', {}],
          ['throughput', {}], ['workers', {}], ['schedules', {}], ['paused_entrypoints', {}], ['verify_schema', {}],
        ];
        for (const [name, args] of reads) {
          const result = await call(client, name, args);
          assert.equal(result.isError, false, `${name}: ${result.text}`);
        }
        assert.equal((await call(client, 'get_job', { id: failedId.value })).json().status, 'exception');
        const refused = await call(client, 'enqueue_ping', {});
        assert.equal(refused.isError, true);
        assert.match(refused.text, /^PrivilegeError: permission denied for table jobs \(role pgq_mcp_r_\w+ lacks INSERT/);
      } finally {
        await client.close();
      }
    } finally {
      await db.pool.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`).catch(() => {});
    }
  });

  test('a database outage is a tool error, and the server answers again once the database is back', async () => {
    const proxy = await startProxy(db.url);
    const { client } = await connect([], proxy.url(db.url));
    try {
      assert.equal((await call(client, 'queue_size')).isError, false);
      assert.equal((await call(client, 'recent_failures')).isError, false);
      await proxy.close();
      for (const name of ['queue_size', 'recent_failures']) {
        const down = await call(client, name);
        assert.equal(down.isError, true, `${name} during the outage: ${down.text}`);
        assert.match(down.text, /^ConnectionError: (lost the connection|cannot connect) to PostgreSQL at /);
      }
      await proxy.open();
      const back = await call(client, 'queue_size');
      assert.equal(back.isError, false, back.text);
      assert.equal((await call(client, 'recent_failures')).json().failures[0].jobId, failedId.value);
    } finally {
      await client.close();
      await proxy.close();
    }
  });
});
