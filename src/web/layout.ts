import { html, type Html } from './html.js';
import type { Page } from './page.js';

const SECTIONS: readonly [path: string, label: string][] = [
  ['/', 'Overview'],
  ['/entrypoints', 'Entrypoints'],
  ['/jobs', 'Jobs'],
  ['/failures', 'Failures'],
  ['/workers', 'Workers'],
  ['/schedules', 'Schedules'],
  ['/enqueue', 'Enqueue'],
  ['/system', 'System'],
];

export interface LayoutOptions {
  base: string;
  schema: string;
  readOnly: boolean;
  /** A message after an action (from the redirect's query). */
  notice: string | null;
  hasManifest: boolean;
}

/** The page shell: navigation, assets (all served by the dashboard itself), the content. */
export function layout(page: Page, o: LayoutOptions): Html {
  const nav = SECTIONS.filter(([path]) => path !== '/enqueue' || (o.hasManifest && !o.readOnly)).map(
    ([path, label]) => html`<a href="${o.base}${path}" class="${label === page.section ? 'current' : ''}">${label}</a>`,
  );
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false}'>
<title>${page.title} · pgqueuer</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${o.base}/assets/vendor/uPlot.min.css">
<link rel="stylesheet" href="${o.base}/assets/app.css">
<script src="${o.base}/assets/vendor/htmx.min.js" defer></script>
<script src="${o.base}/assets/vendor/uPlot.iife.min.js" defer></script>
<script src="${o.base}/assets/app.js" defer></script>
</head>
<body data-base="${o.base}">
<header>
  <a class="brand" href="${o.base}/">pgqueuer</a>
  <span class="schema">schema ${o.schema}</span>
  ${o.readOnly ? html`<span class="badge">read-only</span>` : ''}
  <nav>${nav}</nav>
</header>
<main>
${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : ''}
<h1>${page.title}</h1>
${page.body}
</main>
</body>
</html>`;
}
