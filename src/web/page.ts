import type { PgQueuer } from '../pgqueuer.js';
import type { WebReads } from '../postgres/ops/web-reads.js';
import { html, type Html } from './html.js';
import type { RefusedForm } from './enqueue-forms.js';
import type { Manifest } from './manifest.js';
import type { ThroughputHistory } from './throughput-history.js';

/** What a page renders with: the request's URL, where links point, and the data sources. */
export interface PageContext {
  /** The request URL relative to the dashboard (its path starts at "/"). */
  url: URL;
  /** Prefix of every link: the mount path. */
  base: string;
  readOnly: boolean;
  /** The CSRF token every form carries. */
  csrf: string;
  pgq: PgQueuer;
  reads: WebReads;
  history: ThroughputHistory;
  manifest: Manifest | null;
  /** Heartbeats older than this mark a worker stale. */
  staleAfterSeconds: number;
  /** A POSTed enqueue form the server refused, shown again with its issues. */
  refused?: RefusedForm;
  /**
   * Marks a region that the live stream refreshes: the region is rendered again on the
   * server and swapped in place by the page's script, so the rest of the page stays.
   */
  live(id: string, content: Html): Html;
}

export interface Page {
  title: string;
  /** Which navigation entry is current. */
  section: string;
  body: Html;
}

/** A rendered response that is not a page: a redirect to another one. */
export interface Redirect {
  redirect: string;
}

export type PageResult = Page | Redirect | null;

export type PageRenderer = (ctx: PageContext) => Promise<PageResult>;

/** A link inside the dashboard, with query parameters (empty ones left out). */
export function href(ctx: Pick<PageContext, 'base'>, path: string, query: Record<string, string | number | null | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== null && v !== undefined && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return `${ctx.base}${path}${qs ? `?${qs}` : ''}`;
}

/** A POST form with the CSRF token and where to come back to; nothing in read-only mode. */
export function actionForm(ctx: PageContext, action: string, label: string, options: { danger?: boolean; confirm?: string } = {}): Html {
  if (ctx.readOnly) return html``;
  return html`<form method="post" action="${href(ctx, action)}" class="inline">
    <input type="hidden" name="_csrf" value="${ctx.csrf}">
    <input type="hidden" name="back" value="${ctx.url.pathname + ctx.url.search}">
    <button type="submit" class="${options.danger ? 'danger' : ''}"${options.confirm ? html` data-confirm="${options.confirm}"` : ''}>${label}</button>
  </form>`;
}

/** The status as a coloured tag. */
export function statusTag(status: string): Html {
  return html`<span class="status status-${status}">${status}</span>`;
}
