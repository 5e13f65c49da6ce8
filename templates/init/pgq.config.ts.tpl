import { defineConfig } from 'pgqueuer';

// Where `npx pgq generate` reads the schema and writes the typed client and handler stubs.
export default defineConfig({
  schema: 'src/jobs.schema.ts',
  out: 'src/pgq.generated.ts',
  handlers: 'src/handlers',
});
