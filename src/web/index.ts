/**
 * pgqueuer/web: the browser dashboard as a request handler. Kept out of the main entry so a
 * worker never loads it.
 */
export { dashboard, type DashboardHandler, type DashboardOptions } from './dashboard.js';
export type { Authorize, Credentials } from './access.js';
export type { Manifest } from './manifest.js';
