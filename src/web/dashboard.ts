import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigError, PgQueuerError } from '../errors.js';
import { internalsOf } from '../internals.js';
import { PgQueuer } from '../pgqueuer.js';
import type { ConnectionInput } from '../postgres/connection.js';
import { WebReads } from '../postgres/ops/web-reads.js';
import { basicAuthOk, CsrfTokens, parseCredentials, sameOrigin, type Authorize, type Credentials } from './access.js';
import { runAction } from './actions.js';
import { Assets } from './assets.js';
import { EnqueueForms } from './enqueue-forms.js';
import { html, Html } from './html.js';
import { layout } from './layout.js';
import { streamRegions } from './live-stream.js';
import { ThroughputHistory } from './throughput-history.js';
import { loadManifest, type Manifest } from './manifest.js';
import type { Page, PageContext, PageRenderer, PageResult } from './page.js';
import { BodyTooLargeError, readForm } from './request-body.js';
import { entrypointsPage } from './pages/entrypoints.js';
import { enqueuePage } from './pages/enqueue.js';
import { failuresPage } from './pages/failures.js';
import { jobPage } from './pages/job.js';
import { jobsPage } from './pages/jobs.js';
import { overviewPage } from './pages/overview.js';
import { schedulesPage } from './pages/schedules.js';
import { systemPage } from './pages/system.js';
import { workersPage } from './pages/workers.js';

export interface DashboardOptions {
  /** The queue to show and act on. Its pool serves the dashboard; `close()` leaves it open. */
  pgq?: PgQueuer;
  /** Or a connection (URL or pg config): the dashboard opens its own, closed by `close()`. */
  connection?: ConnectionInput;
  /** Schema holding pgqueuer's tables, with `connection`. Default "pgqueuer". */
  schema?: string;
  /**
   * Where the dashboard is mounted, e.g. "/pgq": links and cookies use it. Under Express's
   * `app.use('/pgq', …)` it is taken from `req.baseUrl` when not given.
   */
  basePath?: string;
  /** Show everything, change nothing: no action is offered, and every POST is refused (403). */
  readOnly?: boolean;
  /** HTTP basic authentication: `{ username, password }` or "user:password". */
  auth?: Credentials | string;
  /** Your own check (session, SSO header…): false answers 403. Runs after `auth` when both are set. */
  authorize?: Authorize;
  /** pgq.manifest.json (a path or its parsed content): job limits, and a form per job to enqueue. */
  manifest?: string | Manifest;
  /**
   * Secret for CSRF tokens. Default: random per process, so several processes behind one
   * load balancer need the same one.
   */
  secret?: string;
  /** How often open pages are refreshed over server-sent events. Default 2,000 ms. */
  liveIntervalMs?: number;
  /** Heartbeats older than this mark a worker stale. Default 30 s. */
  staleAfterSeconds?: number;
}

/**
 * A `(req, res[, next])` handler over node's request and response: mount it in node:http or
 * Express (both tested), or any framework that hands those over. Outside its base path it
 * calls `next()` when given one, else answers 404.
 */
export interface DashboardHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void;
  /** Ends open live streams and closes the connection the dashboard opened (not your `pgq`). */
  close(): Promise<void>;
}

const PAGES: readonly [pattern: RegExp, render: PageRenderer][] = [
  [/^\/$/, overviewPage],
  [/^\/entrypoints$/, entrypointsPage],
  [/^\/jobs$/, jobsPage],
  [/^\/jobs\/\d+$/, jobPage],
  [/^\/failures$/, failuresPage],
  [/^\/workers$/, workersPage],
  [/^\/schedules$/, schedulesPage],
  [/^\/system$/, systemPage],
  [/^\/enqueue(\/[^/]+)?$/, enqueuePage],
];

const SECURITY_HEADERS = {
  // Nothing but this dashboard's own files ever runs or loads: even markup that slipped
  // through escaping could not execute a script.
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

function normalizeBase(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return '';
  if (!trimmed.startsWith('/')) throw new ConfigError(`basePath must start with "/": got "${path}"`);
  return trimmed;
}

/**
 * The web dashboard as a request handler. Server-rendered pages over the lifecycle API and a
 * few index-backed statistics, live over server-sent events, actions as POSTs with a
 * same-origin check and a CSRF token.
 */
export function dashboard(options: DashboardOptions): DashboardHandler {
  if (!options.pgq && options.connection === undefined) throw new ConfigError('dashboard() needs { pgq } or { connection }');
  const basePath = normalizeBase(options.basePath);
  const credentials = typeof options.auth === 'string' ? parseCredentials(options.auth) : (options.auth ?? null);
  if (typeof options.auth === 'string' && !credentials) throw new ConfigError('auth must read "user:password"');
  const manifest = options.manifest === undefined ? null : loadManifest(options.manifest);
  const forms = manifest ? new EnqueueForms(manifest) : null;
  const readOnly = options.readOnly ?? false;
  const liveIntervalMs = options.liveIntervalMs ?? 2_000;
  const staleAfterSeconds = options.staleAfterSeconds ?? 30;
  const csrf = new CsrfTokens(options.secret);
  const assets = new Assets();
  const streams = new Set<ServerResponse>();

  type Source = { pgq: PgQueuer; reads: WebReads; history: ThroughputHistory };
  let opened: Promise<Source> | undefined;
  const source = (): Promise<Source> => {
    opened ??= (async () => {
      const pgq = options.pgq ?? (await PgQueuer.connect(options.connection, { schema: options.schema, metrics: false }));
      const postgres = internalsOf(pgq).postgres();
      if (!postgres) throw new ConfigError('the web dashboard needs a PostgreSQL-backed PgQueuer (not inMemory())');
      const reads = new WebReads(postgres.db, postgres.names);
      return { pgq, reads, history: new ThroughputHistory(reads) };
    })();
    // A failed connect is tried again by the next request, not remembered forever.
    opened.catch(() => (opened = undefined));
    return opened;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): Promise<void> => {
    const raw = req.url ?? '/';
    let base = basePath ?? (req as { baseUrl?: string }).baseUrl ?? '';
    let path = raw;
    if (basePath !== undefined && (raw === basePath || raw.startsWith(`${basePath}/`) || raw.startsWith(`${basePath}?`))) {
      path = raw.slice(basePath.length) || '/';
    } else if (basePath !== undefined && (req as { baseUrl?: string }).baseUrl === undefined && basePath !== '') {
      // Not under the mount path (and no framework stripped it): not ours.
      if (next) return next();
      return send(res, 404, 'text/plain; charset=utf-8', 'not found');
    }
    if (path.startsWith('?')) path = `/${path}`;
    const url = new URL(path, 'http://dashboard');
    base = base.replace(/\/+$/, '');

    if (credentials && !basicAuthOk(req, credentials)) {
      res.setHeader('www-authenticate', 'Basic realm="pgqueuer", charset="UTF-8"');
      return send(res, 401, 'text/plain; charset=utf-8', 'authentication required');
    }
    if (options.authorize && !(await options.authorize(req))) return send(res, 403, 'text/plain; charset=utf-8', 'forbidden');

    if (url.pathname.startsWith('/assets/')) {
      const asset = assets.get(url.pathname.slice('/assets/'.length));
      if (!asset) return send(res, 404, 'text/plain; charset=utf-8', 'not found');
      const { body, type } = await asset;
      res.writeHead(200, { 'content-type': type, 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' });
      res.end(body);
      return;
    }

    const session = csrf.session(req, base || '/');
    if (session.setCookie) res.setHeader('set-cookie', session.setCookie);
    const { pgq, reads, history } = await source();
    const layoutOf = (page: Page, notice: string | null): Html =>
      layout(page, { base, schema: reads.names.schema, readOnly, notice, hasManifest: manifest !== null });
    const context = (pageUrl: URL, regions?: Map<string, string>): PageContext => ({
      url: pageUrl, base, readOnly, csrf: csrf.token(session.id), pgq, reads, history, manifest, staleAfterSeconds,
      live(id, content) {
        regions?.set(id, content.text);
        return html`<div id="live-${id}" data-live>${content}</div>`;
      },
    });

    if (req.method === 'POST') {
      if (readOnly) return send(res, 403, 'text/plain; charset=utf-8', 'this dashboard is read-only');
      if (!sameOrigin(req)) return send(res, 403, 'text/plain; charset=utf-8', 'cross-origin request refused');
      const form = await readForm(req);
      if (!csrf.verify(req, form.get('_csrf') ?? undefined)) {
        return send(res, 403, 'text/plain; charset=utf-8', 'invalid or missing CSRF token: reload the page and try again');
      }
      const back = safeBack(form.get('back'));
      let outcome;
      try {
        outcome = await runAction(url.pathname, form, pgq, forms);
      } catch (err) {
        if (!(err instanceof PgQueuerError)) throw err;
        outcome = { notice: err.message.split('\n')[0]! };
      }
      if (!outcome) return send(res, 404, 'text/plain; charset=utf-8', 'no such action');
      if (outcome.refused) {
        // Shown again rather than redirected: what was typed stays, and only this page has it.
        const page = await enqueuePage({ ...context(url), refused: outcome.refused });
        if (page && !('redirect' in page)) return sendPage(res, 400, layoutOf(page, null), req.method);
      }
      return redirect(res, withNotice(`${base}${outcome.to ?? back}`, outcome.notice));
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD, POST');
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed');
    }

    if (url.pathname === '/events') {
      const pageUrl = new URL(safeBack(url.searchParams.get('page')), 'http://dashboard');
      const render = routeOf(pageUrl.pathname);
      if (!render) return send(res, 404, 'text/plain; charset=utf-8', 'no such page');
      streams.add(res);
      res.on('close', () => streams.delete(res));
      streamRegions(req, res, async () => {
        const regions = new Map<string, string>();
        await render(context(pageUrl, regions));
        return regions;
      }, liveIntervalMs);
      return;
    }

    const render = routeOf(url.pathname);
    const result: PageResult = render ? await render(context(url)) : null;
    if (result && 'redirect' in result) return redirect(res, result.redirect);
    const page: Page = result ?? { title: 'Not found', section: '', body: html`<p class="empty">Nothing here: ${url.pathname}</p>` };
    const notice = url.searchParams.get('notice');
    sendPage(res, result ? 200 : 404, layoutOf(page, notice ? notice.slice(0, 300) : null), req.method);
  };


  const handler = ((req, res, next) => {
    handle(req, res, next).catch((err: unknown) => {
      if (err instanceof BodyTooLargeError) return send(res, 413, 'text/plain; charset=utf-8', err.message);
      if (res.headersSent) return res.destroy();
      const message = String((err as Error)?.message ?? err).split('\n')[0]!;
      // A bad value in the URL (an entrypoint name too long) is the request's fault, not the queue's.
      const status = err instanceof ConfigError ? 400 : err instanceof PgQueuerError ? 503 : 500;
      send(res, status, 'text/html; charset=utf-8', errorPage(status === 400 ? 'The request was refused' : 'The dashboard could not read the queue', message).text);
    });
  }) as DashboardHandler;
  handler.close = async () => {
    for (const res of streams) res.end();
    const current = await opened?.catch(() => null);
    opened = undefined;
    await current?.history.stop();
    if (current && !options.pgq) await current.pgq.stop();
  };
  return handler;
}

function routeOf(pathname: string): PageRenderer | undefined {
  return PAGES.find(([pattern]) => pattern.test(pathname))?.[1];
}

/** Where a form says to return: a path inside the dashboard only (never another site). */
function safeBack(back: string | null): string {
  return back && back.startsWith('/') && !back.startsWith('//') && !back.includes('\\') ? back : '/';
}

function withNotice(target: string, notice: string): string {
  const [path, query = ''] = target.split('?', 2) as [string, string?];
  const params = new URLSearchParams(query);
  params.set('notice', notice);
  return `${path}?${params.toString()}`;
}

function redirect(res: ServerResponse, location: string): void {
  // 303: the browser follows with a GET, so a reload never posts the action again.
  res.writeHead(303, { location, 'cache-control': 'no-store' });
  res.end();
}

function sendPage(res: ServerResponse, status: number, markup: Html, method: string | undefined): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(method === 'HEAD' ? undefined : markup.text);
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function errorPage(title: string, message: string): Html {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>pgqueuer dashboard error</title></head>
<body><h1>${title}</h1><p>${message}</p></body></html>`;
}
