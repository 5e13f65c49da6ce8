import { defineConfig } from 'pgqueuer';

export default defineConfig({
  schema: 'src/jobs.schema.ts',
  out: 'src/pgq.generated.ts',
  handlers: 'src/handlers',
});
