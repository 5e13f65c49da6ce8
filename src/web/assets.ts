import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The dashboard's static files ship in the package under src/web/assets. Run from source
 * (tsx) they sit next to this module; compiled, this module is in dist/src/web and tsc does
 * not copy them, so the published package's src/ copy is used.
 */
function assetsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'assets'), join(here, '..', '..', '..', 'src', 'web', 'assets')];
  return candidates.find((dir) => existsSync(join(dir, 'app.js'))) ?? candidates[0]!;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Only these files are served: a fixed list, so no request path ever reaches the file system. */
const SERVED = ['app.js', 'app.css', 'vendor/htmx.min.js', 'vendor/uPlot.iife.min.js', 'vendor/uPlot.min.css'];

export interface Asset {
  body: Buffer;
  type: string;
}

export class Assets {
  private readonly dir = assetsDir();
  private readonly cache = new Map<string, Promise<Asset>>();

  /** The asset at `name` (relative to the assets folder), or undefined when it is not one. */
  get(name: string): Promise<Asset> | undefined {
    if (!SERVED.includes(name)) return undefined;
    let asset = this.cache.get(name);
    if (!asset) {
      asset = readFile(join(this.dir, name)).then((body) => ({ body, type: TYPES[name.slice(name.lastIndexOf('.'))]! }));
      asset.catch(() => this.cache.delete(name));
      this.cache.set(name, asset);
    }
    return asset;
  }
}
