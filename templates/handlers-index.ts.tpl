// One export per job; `registerHandlers(pgq, handlers)` checks that none is missing.
// `pgq generate` creates this file once and never overwrites it: add new jobs' exports here.
{{exports}}
