import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pgqBundle } from './bundle.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface Project {
  dir: string;
  write(path: string, content: string): void;
  read(path: string): string;
  /** Runs `pgq <args>` in the project (the CLI from source, bundled: bundle.ts). */
  pgq(args: string[], env?: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }>;
  remove(): void;
}

/**
 * A throwaway app folder that resolves `pgqueuer` to this repository's source (tsconfig
 * paths) and borrows its node_modules, so the generator runs as it would in a user's project.
 */
export function makeProject(files: Record<string, string> = {}, compilerOptions: Record<string, unknown> = {}): Project {
  const dir = mkdtempSync(join(tmpdir(), 'pgq-project-'));
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  const project: Project = {
    dir,
    write(path, content) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    },
    read: (path) => readFileSync(join(dir, path), 'utf8'),
    pgq: async (args, env = {}) => {
      const cli = await pgqBundle();
      return new Promise((resolve) => {
        const child = spawn(process.execPath, [cli, ...args], { cwd: dir, env: { ...process.env, ...env } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
      });
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  project.write('package.json', JSON.stringify({ name: 'app', private: true, type: 'module' }));
  project.write(
    'tsconfig.json',
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        paths: { pgqueuer: [join(repoRoot, 'src/index.ts')] },
        ...compilerOptions,
      },
      include: ['src'],
    }),
  );
  for (const [path, content] of Object.entries(files)) project.write(path, content);
  return project;
}
