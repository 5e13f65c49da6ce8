import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { PgqConfig } from '../src/config.js';
import { CodegenError } from './errors.js';
import { loadModule } from './bundle-module.js';

export interface GenerateFlags extends PgqConfig {
  /** Path of the config file; default `pgq.config.ts` (or .mts/.js/.mjs) in the working directory, if present. */
  config?: string;
}

/** Absolute paths and settings for one run of the generator. */
export interface ResolvedConfig {
  schema: string;
  out: string;
  manifest: string;
  handlers: string;
  importFrom: string;
  /** Paths in messages are shown relative to this. */
  root: string;
  /** The config file read, if any. */
  file?: string;
}

const DEFAULTS: Required<PgqConfig> = {
  schema: 'src/jobs.schema.ts',
  out: 'src/pgq.generated.ts',
  handlers: 'src/handlers',
  importFrom: 'pgqueuer',
};
/** The names a config file is looked up by, in the working directory, first found wins. */
export const CONFIG_NAMES = ['pgq.config.ts', 'pgq.config.mts', 'pgq.config.js', 'pgq.config.mjs'];
const KEYS = new Set(Object.keys(DEFAULTS));

/** Flags win over the config file, which wins over the defaults. */
export async function resolveConfig(flags: GenerateFlags, cwd: string): Promise<ResolvedConfig> {
  const configPath = flags.config
    ? resolve(cwd, flags.config)
    : CONFIG_NAMES.map((name) => resolve(cwd, name)).find((path) => existsSync(path));
  let fromFile: PgqConfig = {};
  let base = cwd;
  if (configPath) {
    if (!existsSync(configPath)) throw new CodegenError(`config file ${configPath} not found`);
    const module = (await loadModule(configPath, configPath)).exports as { default?: unknown };
    if (!module.default || typeof module.default !== 'object') {
      throw new CodegenError(`${configPath} must \`export default { schema, out, handlers }\` (see defineConfig)`);
    }
    fromFile = module.default as PgqConfig;
    for (const key of Object.keys(fromFile)) {
      if (!KEYS.has(key)) throw new CodegenError(`${configPath}: unknown option "${key}" (known: ${[...KEYS].join(', ')})`);
    }
    base = dirname(configPath);
  }
  const pick = <K extends keyof PgqConfig>(key: K): { value: string; base: string } =>
    flags[key] !== undefined
      ? { value: flags[key]!, base: cwd }
      : fromFile[key] !== undefined
        ? { value: fromFile[key]!, base }
        : { value: DEFAULTS[key], base };
  const path = (key: 'schema' | 'out' | 'handlers') => {
    const { value, base: from } = pick(key);
    return resolve(from, value);
  };
  const out = path('out');
  return {
    schema: path('schema'),
    out,
    manifest: resolve(dirname(out), 'pgq.manifest.json'),
    handlers: path('handlers'),
    importFrom: pick('importFrom').value,
    root: cwd,
    ...(configPath ? { file: configPath } : {}),
  };
}

