import { MemoryBackend } from '../../src/memory/memory-backend.js';
import { TestClock } from '../../src/testing/test-clock.js';
import { portContract } from './port-contract.js';

portContract({
  name: 'the in-memory backend',
  knownDefects: {
    'payloads, headers and results read back as PostgreSQL stores JSON (jsonb key order)':
      'MemoryBackend keeps JSON text as given and JSON.parses it, so keys come back in input order; the port promises "both see exactly what PostgreSQL would store" (jsonb: keys by length, then bytewise)',
    'DuplicateJobError names each refused key once':
      'MemoryBackend.enqueue pushes one duplicate per row, so a held key repeated in a batch is named twice; PostgreSQL names it once (UNION)',
  },
  async open() {
    const clock = new TestClock();
    const backend = new MemoryBackend(clock);
    return {
      backend,
      advance: async (ms) => clock.advance(ms),
      close: () => backend.close(),
    };
  },
});
