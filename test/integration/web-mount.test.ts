import assert from 'node:assert/strict';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { grant, install, PgQueuer } from '../../src/index.js';
import { dashboard, type DashboardHandler } from '../../src/web/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * The dashboard as a plain handler, without a browser: mounted in node:http and in Express
 * under a path, links and cookies follow the mount path, and a POST works with the session
 * cookie and token a page handed out (and not without them).
 */
let db: TestDatabase;
let pgq: PgQueuer;
const reader = `pgq_web_r_${Math.random().toString(36).slice(2, 8)}`;
const handlers: DashboardHandler[] = [];
const servers: Server[] = [];

async function serve(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function mounted(options: Parameters<typeof dashboard>[0] = {}): DashboardHandler {
  const h = dashboard({ pgq, ...options });
  handlers.push(h);
  return h;
}

/** The session cookie and the CSRF token of a page, as a browser would keep them. */
async function session(url: string): Promise<{ cookie: string; token: string; html: string }> {
  const res = await fetch(url);
  const html = await res.text();
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const token = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  return { cookie, token, html };
}

before(async () => {
  db = await createTestDatabase();
  await install(db.url);
  pgq = await PgQueuer.connect(db.url);
  await pgq.enqueue('mount_job', { n: 1 });
});

after(async () => {
  for (const h of handlers) await h.close();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
  await pgq?.stop();
  await db.pool.query(`DROP OWNED BY ${reader}; DROP ROLE ${reader}`).catch(() => {});
  await db.drop();
});

describe('dashboard() mounted in your own server', () => {
  test("a job's page links the jobs it waits for and the jobs waiting for it; a blocked one can be canceled", async () => {
    const web = mounted();
    const root = await serve((req, res) => web(req, res));
    const parent = await pgq.enqueue('flow_parent', {});
    const child = await pgq.enqueue('flow_child', {}, { after: [parent] });
    const childPage = await (await fetch(`${root}/jobs/${child}`)).text();
    assert.match(childPage, new RegExp(`<dd data-field="parents"><a href="/jobs/${parent}">${parent}</a></dd>`));
    assert.match(childPage, /blocked/);
    assert.match(childPage, new RegExp(`action="/jobs/${child}/cancel"`));
    const parentPage = await (await fetch(`${root}/jobs/${parent}`)).text();
    assert.match(parentPage, new RegExp(`<dd data-field="children"><a href="/jobs/${child}">${child}</a></dd>`));
    await pgq.cancel([parent]);
  });

  test('node:http under a base path: links, cookie path, 404 outside it, actions with the token', async () => {
    const web = mounted({ basePath: '/ops/pgq/' });
    const root = await serve((req, res) => web(req, res));
    const { cookie, token, html } = await session(`${root}/ops/pgq/entrypoints`);
    assert.match(html, /href="\/ops\/pgq\/jobs\?entrypoint=mount_job"/);
    assert.match(html, /src="\/ops\/pgq\/assets\/vendor\/htmx\.min\.js"/);
    assert.equal((await fetch(`${root}/ops/pgq`)).status, 200);
    assert.equal((await fetch(`${root}/elsewhere`)).status, 404);
    assert.equal((await fetch(`${root}/ops/pgq/assets/app.js`)).headers.get('content-type'), 'text/javascript; charset=utf-8');

    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${root}/ops/pgq/entrypoints/mount_job/pause`, {
        method: 'POST', redirect: 'manual', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      });
    assert.equal((await post(`_csrf=${token}`)).status, 403, 'the token without its session cookie');
    const ok = await post(`_csrf=${token}&back=/entrypoints`, { cookie });
    assert.equal(ok.status, 303);
    assert.match(ok.headers.get('location')!, /^\/ops\/pgq\/entrypoints\?notice=mount_job\+paused$/);
    assert.deepEqual(await pgq.pausedEntrypoints(), ['mount_job']);
    // A form cannot send the browser to another site afterwards.
    const away = await post(`_csrf=${token}&back=//evil.example/`, { cookie });
    assert.match(away.headers.get('location')!, /^\/ops\/pgq\/\?notice=/);
    await pgq.resume('mount_job');
  });

  test('Express: app.use(path, handler) takes the mount path from req.baseUrl; a parsed body is used as is', async (t) => {
    let express: any;
    try {
      express = (await import('express' as string)).default;
    } catch {
      t.skip('express is not installed (it comes with the MCP SDK devDependency)');
      return;
    }
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use('/admin/queue', mounted());
    app.get('/', (_req: unknown, res: { send(s: string): void }) => res.send('the app'));
    const root = await serve(app);
    const { cookie, token, html } = await session(`${root}/admin/queue/entrypoints`);
    assert.match(html, /href="\/admin\/queue\/jobs\?entrypoint=mount_job"/);
    assert.match(html, /mount_job/);
    assert.equal(await (await fetch(`${root}/`)).text(), 'the app');
    const res = await fetch(`${root}/admin/queue/entrypoints/mount_job/pause`, {
      method: 'POST', redirect: 'manual', body: `_csrf=${token}`, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    });
    assert.equal(res.status, 303);
    assert.match(res.headers.get('location')!, /^\/admin\/queue\/\?notice=mount_job\+paused$/);
    assert.deepEqual(await pgq.pausedEntrypoints(), ['mount_job']);
    await pgq.resume('mount_job');
  });

  test('job actions: cancel a queued job, requeue the canceled one as a new job, delete that one', async () => {
    const web = mounted();
    const root = await serve((req, res) => web(req, res));
    const id = await pgq.enqueue('mount_actions', { n: 1 });
    const { cookie, token } = await session(`${root}/jobs/${id}`);
    const act = (path: string) =>
      fetch(`${root}${path}`, { method: 'POST', redirect: 'manual', body: `_csrf=${token}&back=/jobs/${id}`, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie } });
    const notice = (res: Response): string => new URL(res.headers.get('location')!, root).searchParams.get('notice')!;

    assert.equal(notice(await act(`/jobs/${id}/cancel`)), `job ${id} canceled`);
    assert.equal((await pgq.getJob(id))?.status, 'canceled');
    const requeued = await act(`/jobs/${id}/requeue`);
    const again = Number(/^\/jobs\/(\d+)\?/.exec(requeued.headers.get('location')!)![1]);
    assert.notEqual(again, id);
    assert.equal(notice(requeued), `job ${id} requeued as job ${again}`);
    assert.equal((await pgq.getJob(again))?.requeuedFrom, id);
    assert.equal(notice(await act(`/jobs/${id}/delete`)), `job ${id} was not deleted (only queued, scheduled, held or blocked jobs; cancel a running one)`);
    const deleted = await act(`/jobs/${again}/delete`);
    assert.equal(notice(deleted), `job ${again} deleted`);
    assert.equal(await pgq.getJob(again), null);
  });

  test('read-only on a reader role (pgq grant --reader): every page renders', async () => {
    await db.pool.query(`CREATE ROLE ${reader} LOGIN PASSWORD 'secret'`);
    await grant(db.url, { reader });
    await pgq.enqueue('mount_job', { n: 2 });
    const url = new URL(db.url);
    url.username = reader;
    url.password = 'secret';
    const web = mounted({ pgq: undefined, connection: url.toString(), readOnly: true });
    const root = await serve((req, res) => web(req, res));
    const [job] = (await pgq.listJobs({ limit: 1 })).jobs;
    for (const path of ['/', '/entrypoints', '/jobs', `/jobs/${job!.id}`, '/failures', '/workers', '/schedules', '/system']) {
      const res = await fetch(`${root}${path}`);
      assert.equal(res.status, 200, `${path}: ${(await res.clone().text()).slice(0, 300)}`);
      await res.text();
    }
    const events = await fetch(`${root}/events?page=/`);
    const reader2 = events.body!.getReader();
    let text = '';
    while (!text.includes('event: regions')) text += new TextDecoder().decode((await reader2.read()).value);
    await reader2.cancel();
    assert.doesNotMatch(text, /event: failure/);
  });
});
