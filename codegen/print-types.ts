import { readFileSync } from 'node:fs';
import { declarationLiterals, defaultOptionalPrinting } from './checker-settings.js';
import type { JobInfo } from './load-schema.js';
import { scanSource } from './source-scan.js';
import type { JobTypes } from './type-printer.js';
import { LiteralOrder, printJobTypesFromZod } from './zod-type-printer.js';

/** Packages a schema may import and still be printed without the checker: their types are what they run. */
const PLAIN_PACKAGES = /^(zod|zod\/v4|pgqueuer|node:.*)$/;

export interface TypeSources {
  schemaPath: string;
  /** The project files the schema is made of. */
  inputs: readonly string[];
  /** Packages they import. */
  packages: readonly string[];
}

/** How each job's types were printed, for --watch's report and the tests. */
export interface PrintedTypes {
  types: Map<string, JobTypes>;
  /** Jobs the TypeScript checker printed, and why it was needed (absent: none). */
  checker?: { jobs: string[]; reason: string };
}

/**
 * The flat types of each job with a payload. Printed from the zod objects where that is
 * exact, which is the usual case and takes no time; the TypeScript checker (seconds to start)
 * prints the rest, and everything when the project's source has constructs whose types only
 * it can know. The output is the same either way.
 */
export async function printTypes(source: TypeSources, jobs: readonly JobInfo[]): Promise<PrintedTypes> {
  const typed = jobs.filter((j) => j.definition.schedule === undefined);
  const types = new Map<string, JobTypes>();
  const scan = scanSource(source.inputs.map((file) => readFileSync(file, 'utf8')));
  const foreign = source.packages.find((p) => !PLAIN_PACKAGES.test(p));
  // JavaScript or JSON in the mix: the checker types it otherwise (or not at all), so let it.
  const untyped = source.inputs.find((file) => !/\.(c|m)?tsx?$/.test(file));
  let reason = scan.needsChecker ?? (foreign ? `an import of ${foreign}` : untyped ? `a file that is not TypeScript (${untyped})` : undefined);
  if (!reason && !defaultOptionalPrinting(source.schemaPath)) reason = 'tsconfig options that change how optional members print';
  let rest = typed;
  if (!reason) {
    let literals: Set<string> | undefined;
    const order = new LiteralOrder(scan.strings, () => (literals ??= declarationLiterals(source.schemaPath)));
    order.walk(Object.fromEntries(jobs.map((j) => [j.name, j.definition])));
    rest = typed.filter((job) => {
      const printed = printJobTypesFromZod(job.definition, order);
      if (printed) types.set(job.name, printed);
      return !printed;
    });
    reason = 'zod shapes only it can print';
  }
  if (rest.length === 0) return { types };
  // Loaded only now: TypeScript alone takes longer to load than the rest of a run.
  const { printJobTypes } = await import('./type-printer.js');
  const fromChecker = await printJobTypes(source.schemaPath, rest.map((j) => ({ name: j.name, hasResult: j.definition.result !== undefined })));
  // Declaration order, whichever printer printed a job.
  const ordered = new Map(typed.map((j) => [j.name, (types.get(j.name) ?? fromChecker.get(j.name))!]));
  return { types: ordered, checker: { jobs: rest.map((j) => j.name), reason: reason! } };
}
