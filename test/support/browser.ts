import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { repoRoot } from './project.js';

/** The system Chromium (Debian package `chromium`, installed by .ci/run). */
export const CHROMIUM = process.env.PGQ_CHROMIUM ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set PGQ_CHROMIUM)`;
}

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Where screenshots go: test-artifacts/<name>/ (gitignored), kept after the run for a look. */
export function artifactsDir(name: string): string {
  const dir = join(repoRoot, 'test-artifacts', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
