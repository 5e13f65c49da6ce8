import { PgQueuerError } from '../src/errors.js';

/** `pgq generate` could not do its work; the message says what to fix. */
export class CodegenError extends PgQueuerError {}
