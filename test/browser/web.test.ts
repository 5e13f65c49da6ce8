import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { install, PgQueuer } from '../../src/index.js';
import { dashboard, type DashboardHandler, type Manifest } from '../../src/web/index.js';
import { artifactsDir, browserMissing, launchBrowser } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { pgqMain, runPgq } from '../support/pgq-cli.js';
import { FAST, startWorker } from '../support/queue.js';
import { until, within } from '../support/wait.js';

// Code passed to page.evaluate runs in the browser; the project compiles without the DOM library.
declare const window: Record<string, unknown>;
declare const document: { querySelector(s: string): unknown; body: { dataset: Record<string, string> } };
declare const location: { pathname: string };

const missing = browserMissing();
if (missing) console.log(`# browser tests skipped: ${missing}`);

const XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
const shots = artifactsDir('web');

/** A manifest as pgq generate writes it, for one job: limits on the Entrypoints page and an enqueue form. */
const manifest: Manifest = {
  jobs: {
    web_signup: {
      fingerprint: 'f00dfeedf00dfeed',
      schedule: null,
      timezone: null,
      options: { concurrencyLimit: 3, rateLimit: { perSecond: 20 } },
      payload: {
        type: 'object',
        properties: { email: { type: 'string', format: 'email' }, age: { type: 'integer', minimum: 18, maximum: 150 } },
        required: ['email', 'age'],
      },
      result: null,
    },
    // Queued jobs of two schema versions, nobody runs them: the Entrypoints page tells them apart.
    web_typed: { fingerprint: 'c0ffee00c0ffee00', schedule: null, timezone: null, options: {}, payload: null, result: null },
  },
};

let db: TestDatabase;
let producer: PgQueuer;
let worker: PgQueuer;
let stopWorker: () => Promise<void>;
let server: Server;
let handler: DashboardHandler;
let readOnlyServer: Server;
let readOnlyHandler: DashboardHandler;
let base: string;
let readOnlyBase: string;
let browser: Browser;
let heldId: number;
let xssId: number;
/** web_email fails until the test "fixes" it, then succeeds (a requeued held job then runs). */
let emailBroken = true;

function listen(h: DashboardHandler): Promise<Server> {
  const s = createServer(h);
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(s)));
}

const portOf = (s: Server): number => (s.address() as AddressInfo).port;

/** Console errors and uncaught exceptions of every page opened (a CSP violation shows up here). */
const pageErrors: string[] = [];

async function open(path: string, root = base): Promise<Page> {
  const page = await browser.newPage();
  page.on('dialog', (d) => void d.accept());
  page.on('pageerror', (err) => pageErrors.push(`${path}: ${err.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`${path}: ${m.text()}`);
  });
  await page.goto(`${root}${path}`);
  return page;
}

before(async () => {
  if (missing) return;
  db = await createTestDatabase();
  await install(db.url);
  producer = await PgQueuer.connect(db.url);
  worker = await PgQueuer.connect(db.url, FAST);
  worker.entrypoint('web_email', { retry: { maxAttempts: 1 }, onFailure: 'hold' }, async () => {
    if (emailBroken) throw new Error('smtp refused: 550\nmore detail on the second line');
    return { sent: true };
  });
  worker.entrypoint('web_resize', async () => ({ ok: true }));
  worker.entrypoint('web_probe', async () => {});
  worker.schedule('web_nightly', '0 3 * * *', async () => {});
  stopWorker = startWorker(worker);

  const emails = await producer.enqueueMany([1, 2, 3].map((i) => ({ entrypoint: 'web_email', payload: { to: `user${i}@example.com` } })));
  const done = await producer.waitForAll(emails, { timeoutMs: 20_000 });
  assert.deepEqual(done.map((d) => d.status), ['held', 'held', 'held']);
  heldId = emails[0]!;
  const resized = await producer.enqueueMany([1, 2, 3, 4].map((n) => ({ entrypoint: 'web_resize', payload: { n } })));
  await producer.waitForAll(resized, { timeoutMs: 20_000 });
  // Nobody runs web_bulk: 120 queued jobs to filter and page through.
  await producer.enqueueMany(Array.from({ length: 120 }, (_, i) => ({ entrypoint: 'web_bulk', payload: { i } })));
  xssId = await producer.enqueue('web_inert', { html: XSS }, { headers: { note: XSS } });
  await producer.enqueueMany([
    { entrypoint: 'web_typed', payload: {}, headers: { 'pgq-fingerprint': 'c0ffee00c0ffee00' } },
    { entrypoint: 'web_typed', payload: {}, headers: { 'pgq-fingerprint': 'c0ffee00c0ffee00' } },
    { entrypoint: 'web_typed', payload: {}, headers: { 'pgq-fingerprint': 'badbadbadbadbad0' } },
  ]);
  await until(async () => (await producer.listSchedules()).some((s) => s.name === 'web_nightly'), 10_000, 'the schedule row');

  handler = dashboard({ pgq: producer, basePath: '/pgq', manifest, liveIntervalMs: 250 });
  server = await listen(handler);
  base = `http://127.0.0.1:${portOf(server)}/pgq`;
  readOnlyHandler = dashboard({ connection: db.url, readOnly: true, liveIntervalMs: 250 });
  readOnlyServer = await listen(readOnlyHandler);
  readOnlyBase = `http://127.0.0.1:${portOf(readOnlyServer)}`;
  browser = await launchBrowser();
});

after(async () => {
  if (missing) return;
  await browser?.close();
  await handler?.close();
  await readOnlyHandler?.close();
  server?.closeAllConnections();
  readOnlyServer?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await new Promise((resolve) => readOnlyServer?.close(resolve));
  await stopWorker?.();
  await producer?.stop();
  await db.drop();
});

describe('web dashboard in Chromium', { skip: missing }, () => {
  test('every page renders real data from PostgreSQL (screenshots in test-artifacts/web)', async () => {
    const pages: [path: string, name: string, expect: (page: Page) => Promise<void>][] = [
      ['/', 'overview', async (p) => {
        assert.equal((await p.locator('[data-status=held] .value').textContent())?.trim(), '3');
        assert.match((await p.locator('tr[data-entrypoint=web_bulk] td[data-status=queued]').textContent()) ?? '', /120/);
        await p.locator('#chart-minute canvas').waitFor(); // uPlot drew the chart
        // History is read in the background and arrives over the live stream.
        await p.locator('#live-per-minute figcaption', { hasText: /^Last hour, per minute: 7 finished, 3 failed$/ }).waitFor({ timeout: 10_000 });
        await p.locator('#live-per-hour figcaption', { hasText: /^Last day, per hour: 7 finished, 3 failed$/ }).waitFor({ timeout: 10_000 });
      }],
      ['/entrypoints', 'entrypoints', async (p) => {
        const row = p.locator('tr[data-entrypoint=web_resize]');
        assert.equal((await row.locator('[data-stat=finished]').textContent())?.trim(), '4');
        assert.equal((await row.locator('[data-stat=failure-rate]').textContent())?.trim(), '0.0%');
        assert.match((await row.locator('[data-stat=p95]').textContent()) ?? '', /ms|s/);
        assert.equal((await p.locator('tr[data-entrypoint=web_email] [data-stat=failure-rate]').textContent())?.trim(), '100.0%');
        assert.match((await p.locator('tr[data-entrypoint=web_signup] .limits').textContent()) ?? '', /concurrency 3 · rate 20\/s/);
        const versions = p.locator('tr[data-entrypoint=web_typed] [data-stat=versions] .version');
        assert.deepEqual((await versions.allTextContents()).map((t) => t.trim()), ['c0ffee00 ✓ ×2', 'badbadba ×1']);
        assert.equal(await versions.locator('xpath=self::*[contains(@class, "bad")]').count(), 1);
      }],
      ['/jobs', 'jobs', async (p) => assert.equal(await p.locator('table.jobs tbody tr').count(), 50)],
      [`/jobs/${heldId}`, 'job', async (p) => {
        assert.match((await p.locator('[data-field=status]').textContent()) ?? '', /held/);
        assert.match((await p.locator('[data-field=payload]').textContent()) ?? '', /user1@example\.com/);
        assert.match((await p.locator('table.history').textContent()) ?? '', /smtp refused: 550/);
        assert.match((await p.locator('table.history details pre').first().textContent({ timeout: 1_000 })) ?? '', /at /); // the stack
      }],
      ['/failures', 'failures', async (p) => {
        assert.equal(await p.locator('table.failures tbody tr').count(), 3);
        assert.match((await p.locator('table.failures td.error').first().textContent()) ?? '', /^Error: smtp refused: 550$/);
      }],
      ['/workers', 'workers', async (p) => {
        assert.equal(await p.locator(`tr[data-worker="${worker.workerId}"]`).count(), 1);
        assert.match((await p.locator(`tr[data-worker="${worker.workerId}"]`).textContent()) ?? '', /web_email, web_probe, web_resize|alive/);
      }],
      ['/schedules', 'schedules', async (p) => assert.match((await p.locator('tr[data-schedule=web_nightly]').textContent()) ?? '', /0 3 \* \* \*/)],
      ['/system', 'system', async (p) => {
        assert.match((await p.locator('[data-field=schema-version]').textContent()) ?? '', /^\d+$/);
        assert.equal(await p.locator('tr[data-table=jobs]').count(), 1);
        assert.equal(await p.locator('tr[data-table=job_log]').count(), 1);
      }],
      ['/enqueue', 'enqueue', async (p) => assert.equal(await p.locator('form.enqueue[data-job=web_signup]').count(), 1)],
    ];
    for (const [path, name, expect] of pages) {
      const page = await open(path);
      try {
        await expect(page);
        await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
      } finally {
        await page.close();
      }
    }
    assert.deepEqual(pageErrors, [], 'no page logged an error');
  });

  test('jobs filter by entrypoint and status, and page with keyset links', async () => {
    const page = await open('/jobs');
    try {
      await page.fill('input[name=entrypoint]', 'web_bulk');
      await page.selectOption('select[name=status]', 'queued');
      await page.waitForURL(/entrypoint=web_bulk/);
      await until(async () => (await page.locator('table.jobs tbody tr td:nth-child(2)').allTextContents()).every((t) => t === 'web_bulk'), 5_000, 'the filtered list');
      const ids = async (): Promise<number[]> => (await page.locator('table.jobs tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-job')))));
      const first = await ids();
      assert.equal(first.length, 50);
      await page.click('a[rel=next]');
      await page.waitForURL(/after=/);
      const second = await ids();
      assert.equal(second.length, 50);
      assert.ok(Math.max(...second) < Math.min(...first), 'the second page holds older jobs');
      await page.click('a[rel=next]');
      await page.waitForURL(new RegExp(`after=${Math.min(...second)}`));
      assert.equal((await ids()).length, 20);
      assert.equal(await page.locator('a[rel=next]').count(), 0);
      // Text in payloads (bounded to the newest jobs), narrowed by the other filters.
      await page.goto(`${base}/jobs`);
      await page.fill('input[name=q]', 'USER2@example');
      await page.waitForURL(/q=USER2/);
      await page.locator('[data-field=search-scope]').waitFor();
      assert.deepEqual(await page.locator('table.jobs tbody tr td:nth-child(2)').allTextContents(), ['web_email']);
      await page.selectOption('select[name=status]', 'queued');
      await page.locator('#jobs .empty').waitFor();
      // An id goes straight to the job.
      await page.fill('input[name=id]', String(heldId));
      await page.press('input[name=id]', 'Enter');
      await page.waitForURL(new RegExp(`/jobs/${heldId}$`));
    } finally {
      await page.close();
    }
  });

  test('a payload holding <script> renders as text and never runs', async () => {
    const page = await open(`/jobs/${xssId}`);
    try {
      assert.ok((await page.locator('[data-field=payload]').textContent())?.includes('<script>window.__pwned = 1</script>'));
      assert.equal(await page.evaluate(() => (window as { __pwned?: number }).__pwned), undefined);
      assert.equal(await page.locator('main script, main img').count(), 0);
    } finally {
      await page.close();
    }
  });

  test('requeue a held job from its page and see a worker run it', async () => {
    emailBroken = false;
    const page = await open(`/jobs/${heldId}`);
    try {
      await page.click('button:has-text("Requeue")');
      await page.waitForURL(/notice=/);
      assert.match((await page.locator('.notice').textContent()) ?? '', new RegExp(`job ${heldId} requeued`));
      const outcome = await producer.waitFor(heldId, { timeoutMs: 15_000 });
      assert.equal(outcome.status, 'successful');
      // The open page follows: the live region shows the new status without a reload.
      await page.locator('[data-field=status]:has-text("successful")').waitFor({ timeout: 10_000 });
    } finally {
      await page.close();
    }
  });

  test('select many failures and requeue them', async () => {
    const page = await open('/failures');
    try {
      const rows = page.locator('table.failures tbody tr');
      assert.equal(await rows.count(), 2);
      await page.check('[data-select-all]');
      await page.click('button:has-text("Requeue selected")');
      await page.waitForURL(/notice=/);
      assert.match((await page.locator('.notice').textContent()) ?? '', /2 jobs requeued/);
      await until(async () => (await producer.listJobs({ entrypoint: 'web_email', status: 'successful' })).jobs.length === 3, 15_000, 'the requeued jobs to succeed');
    } finally {
      await page.close();
    }
  });

  test('pause and resume an entrypoint from the page, and the worker obeys', async () => {
    const page = await open('/entrypoints');
    try {
      await page.click('tr[data-entrypoint=web_resize] button:has-text("Pause")');
      await page.waitForURL(/notice=/);
      assert.deepEqual(await producer.pausedEntrypoints(), ['web_resize']);
      assert.equal(await page.locator('tr[data-entrypoint=web_resize] [data-state=paused]').count(), 1);
      const waiting = await producer.enqueue('web_resize', { n: 99 });
      // A job of another entrypoint run by the same worker: the worker claimed since, and left web_resize alone.
      const probe = await producer.enqueue('web_probe', {});
      assert.equal((await producer.waitFor(probe, { timeoutMs: 10_000 })).status, 'successful');
      const probe2 = await producer.enqueue('web_probe', {});
      assert.equal((await producer.waitFor(probe2, { timeoutMs: 10_000 })).status, 'successful');
      assert.equal((await producer.getJob(waiting))?.status, 'queued');

      await page.click('tr[data-entrypoint=web_resize] button:has-text("Resume")');
      await page.waitForURL(/resumed/);
      assert.deepEqual(await producer.pausedEntrypoints(), []);
      assert.equal((await producer.waitFor(waiting, { timeoutMs: 10_000 })).status, 'successful');
    } finally {
      await page.close();
    }
  });

  test('run a schedule now from the Schedules page: one extra tick, run by the worker', async () => {
    const before = (await producer.listSchedules()).find((s) => s.name === 'web_nightly')!;
    const page = await open('/schedules');
    try {
      await page.click('tr[data-schedule=web_nightly] button:has-text("Run now")');
      await page.waitForURL(/\/jobs\/\d+\?notice=/);
      const id = Number(/\/jobs\/(\d+)/.exec(page.url())![1]);
      assert.equal((await producer.waitFor(id, { timeoutMs: 10_000 })).status, 'successful');
      const after = (await producer.listSchedules()).find((s) => s.name === 'web_nightly')!;
      assert.equal(after.nextRun.getTime(), before.nextRun.getTime(), 'the next run stays');
    } finally {
      await page.close();
    }
  });

  test('a live update arrives without a reload', async () => {
    const page = await open('/');
    try {
      await page.evaluate(() => ((window as { __sameDocument?: boolean }).__sameDocument = true));
      assert.equal(await page.locator('tr[data-entrypoint=web_live]').count(), 0);
      await producer.enqueueMany([1, 2, 3].map((n) => ({ entrypoint: 'web_live', payload: { n } })));
      await page.locator('tr[data-entrypoint=web_live] td[data-status=queued]:has-text("3")').waitFor({ timeout: 10_000 });
      assert.equal(await page.evaluate(() => (window as { __sameDocument?: boolean }).__sameDocument), true);
    } finally {
      await page.close();
    }
  });

  test('enqueue through the generated form: a bad value is refused in the page and by the server', async () => {
    const page = await open('/enqueue/web_signup');
    try {
      await page.fill('input[name=email]', 'not-an-email');
      await page.fill('input[name=age]', '12');
      await page.click('button:has-text("Enqueue web_signup")');
      assert.equal(await page.locator('input[name=email]:invalid').count(), 1, 'the browser refuses the email');
      assert.equal(await page.locator('input[name=age]:invalid').count(), 1, 'and the age under the minimum');
      assert.match(page.url(), /\/enqueue\/web_signup$/);

      // The same form sent past the page's checks (as a browser without them would): the server checks again,
      // answers 400 and shows the form again with what was typed and what is wrong.
      await page.evaluate(() => ((document.querySelector('form.enqueue') as { noValidate: boolean }).noValidate = true));
      const [refused] = await Promise.all([page.waitForNavigation(), page.click('button:has-text("Enqueue web_signup")')]);
      assert.equal(refused?.status(), 400);
      assert.deepEqual(await page.locator('[data-field=issues] li').allTextContents(), ['email: not an email address', 'age: at least 18']);
      assert.equal(await page.inputValue('input[name=email]'), 'not-an-email');
      assert.equal(await page.inputValue('input[name=age]'), '12');
      assert.equal((await producer.listJobs({ entrypoint: 'web_signup' })).jobs.length, 0);

      await page.fill('input[name=email]', 'ada@example.com');
      await page.fill('input[name=age]', '36');
      await page.click('button:has-text("Enqueue web_signup")');
      await page.waitForURL(/\/jobs\/\d+\?notice=/);
      const [job] = (await producer.listJobs({ entrypoint: 'web_signup' })).jobs;
      assert.deepEqual(job?.payload, { email: 'ada@example.com', age: 36 });
    } finally {
      await page.close();
    }
  });

  test('actions need the CSRF token and the same origin', async () => {
    const page = await open('/entrypoints');
    try {
      // No named functions in here: tsx would wrap them in a helper the browser does not have.
      const results = await page.evaluate(async () => {
        const csrf = (document.querySelector('input[name=_csrf]') as { value: string }).value;
        const statuses: number[] = [];
        for (const body of ['', '_csrf=forged']) {
          const r = await fetch(`${document.body.dataset.base}/entrypoints/web_resize/pause`, { method: 'POST', body: new URLSearchParams(body), redirect: 'manual' });
          statuses.push(r.status);
        }
        return { noToken: statuses[0], badToken: statuses[1], ok: csrf.length > 20 };
      });
      assert.deepEqual(results, { noToken: 403, badToken: 403, ok: true });
      const crossSite = await fetch(`${base}/entrypoints/web_resize/pause`, { method: 'POST', headers: { origin: 'https://evil.example' }, body: '' });
      assert.equal(crossSite.status, 403);
      assert.deepEqual(await producer.pausedEntrypoints(), []);
    } finally {
      await page.close();
    }
  });

  test('read-only mode shows no action and refuses every POST', async () => {
    const page = await open('/entrypoints', readOnlyBase);
    try {
      assert.equal(await page.locator('.badge:has-text("read-only")').count(), 1);
      assert.ok((await page.locator('tr[data-entrypoint=web_resize]').count()) === 1);
      assert.equal(await page.locator('button').count(), 0);
      await page.goto(`${readOnlyBase}/failures?status=exception`);
      assert.equal(await page.locator('input[type=checkbox]').count(), 0);
      const status = await page.evaluate(async () => (await fetch('/entrypoints/web_resize/pause', { method: 'POST', body: '' })).status);
      assert.equal(status, 403);
      assert.equal((await fetch(`${readOnlyBase}/jobs/${xssId}/delete`, { method: 'POST' })).status, 403);
      assert.deepEqual(await producer.pausedEntrypoints(), []);
      assert.ok(await producer.getJob(xssId));
    } finally {
      await page.close();
    }
  });
});

describe('pgq web', { skip: missing }, () => {
  test('a non-loopback host without credentials refuses to start', async () => {
    const r = await runPgq(db.url, ['web', '--host', '0.0.0.0', '--port', '0'], { PGQ_WEB_AUTH: undefined });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /refusing to serve the dashboard on 0\.0\.0\.0 without credentials: pass --auth/);
  });

  test('with --auth it serves behind basic authentication, under its base path', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', pgqMain, 'web', '--host', '0.0.0.0', '--port', '0', '--auth', 'ops:s3cret:x', '--base-path', '/pgq'], {
      env: { ...process.env, DATABASE_URL: db.url, PGQ_SCHEMA: undefined },
    });
    try {
      const url = await within(
        new Promise<string>((resolve) => {
          let out = '';
          child.stdout.on('data', (d) => {
            out += d;
            const m = /http:\/\/\S+/.exec(out);
            if (m) resolve(m[0]);
          });
        }),
        20_000,
        'pgq web to print its address',
      );
      const local = url.replace('0.0.0.0', '127.0.0.1');
      assert.equal((await fetch(local)).status, 401);
      assert.equal((await fetch(new URL('/', local), { redirect: 'manual' })).headers.get('location'), '/pgq/', 'the bare host leads to the dashboard');
      const auth = { authorization: `Basic ${Buffer.from('ops:s3cret:x').toString('base64')}` };
      const ok = await fetch(`${local}jobs?entrypoint=web_bulk`, { headers: auth });
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /web_bulk/);
      assert.equal((await fetch(local, { headers: { authorization: `Basic ${Buffer.from('ops:wrong').toString('base64')}` } })).status, 401);
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => child.on('exit', resolve));
    }
  });
});
