// One export per job; `registerHandlers(pgq, handlers)` checks that none is missing.
// `pgq generate` creates this file once and never overwrites it: add new jobs' exports here.
export { sendEmail } from './sendEmail.js';
export { resizeImage } from './resizeImage.js';
export { recordOrder } from './recordOrder.js';
export { salesReport } from './salesReport.js';
