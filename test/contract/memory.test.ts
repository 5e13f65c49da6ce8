import { MemoryBackend } from '../../src/memory/memory-backend.js';
import { TestClock } from '../../src/testing/test-clock.js';
import { portContract } from './port-contract.js';

portContract({
  name: 'the in-memory backend',
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
