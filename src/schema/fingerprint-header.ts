/**
 * The header that carries, on each job, the fingerprint of the payload schema its producer
 * had. Apart from the fingerprinting itself (which needs zod) so that the storage adapters,
 * which read it, do not load zod.
 */
export const FINGERPRINT_HEADER = 'pgq-fingerprint';
