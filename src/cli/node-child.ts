import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The node flags pgq's own child processes start with: this process's, so that loaders (tsx's,
 * when pgq runs from TypeScript) apply there too. Inspector flags stay here: two processes
 * cannot listen on one debug port.
 */
export function childNodeFlags(): string[] {
  return process.execArgv.filter((flag) => !/^--inspect/.test(flag));
}

/** A script beside `moduleUrl`, with the same extension: .ts when pgq runs from source, .js when built. */
export function siblingScript(moduleUrl: string, name: string): string {
  return fileURLToPath(new URL(`./${name}${extname(fileURLToPath(moduleUrl))}`, moduleUrl));
}
