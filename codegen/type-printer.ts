import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { CodegenError } from './errors.js';

/** The TypeScript text of one job's types, flattened to plain object types. */
export interface JobTypes {
  /** What producers send (the payload schema's input). */
  payload: PrintedType;
  /** What the handler sees (the payload schema's output: defaults and transforms applied). */
  parsed: PrintedType;
  /** What `job.result()` resolves with (the result schema's output). */
  result?: PrintedType;
  /** What the handler returns (the result schema's input). */
  resultInput?: PrintedType;
}

/** Either the members of an object type (printed as an interface) or a whole type's text. */
export type PrintedType = { kind: 'object'; members: PrintedMember[] } | { kind: 'alias'; text: string };

export interface PrintedMember {
  name: string;
  optional: boolean;
  type: string;
}

/**
 * The projects of the last run, kept for the next one in the same process (--watch): parsing
 * lib, zod's and pgqueuer's declarations again would cost most of a second each time.
 */
const kept = new Map<string, unknown>();

type CompilerOptions = import('ts-morph').ts.CompilerOptions;

/** Thrown inside a printing attempt: its types came out unusable (see `explain`). */
class Unusable extends Error {}

/**
 * Uses TypeScript's own checker (through ts-morph) to resolve `z.input` / `z.output` of each
 * job's zod schemas, the way the user's editor would, and prints them flat: the generated
 * types read like hand-written ones, with no zod generics left in them.
 *
 * First with a lean program: the ES library without the DOM, no automatic `@types`, and
 * `pgqueuer` resolved to the declarations of `defineJobs` alone, so the checker reads zod's
 * types and little else (pgqueuer's full declarations bring pg's and Node's, 2 MB of the 4 MB
 * it would parse otherwise: seconds). A schema that needs more (it uses Node's types, say)
 * comes out unusable there, and is printed again with the user's own compiler options.
 */
export async function printJobTypes(
  schemaPath: string,
  jobs: ReadonlyArray<{ name: string; hasResult: boolean }>,
): Promise<Map<string, JobTypes>> {
  let morph: typeof import('ts-morph');
  try {
    // Required, not imported: an import of a CommonJS package has Node scan its source for export names first.
    morph = createRequire(import.meta.url)('ts-morph') as typeof import('ts-morph');
  } catch {
    throw new CodegenError('pgq generate needs the "ts-morph" package: npm install --save-dev ts-morph');
  }
  const options: CompilerOptions = { ...userCompilerOptions(morph.ts, schemaPath), strict: true, noEmit: true, skipLibCheck: true, declaration: false };
  const lean = leanOptions(morph.ts, schemaPath, options);
  if (lean) {
    try {
      return printWith(morph, projectFor(morph, `lean:${schemaPath}`, lean), schemaPath, jobs, false);
    } catch (err) {
      if (!(err instanceof Unusable)) throw err;
    }
  }
  return printWith(morph, projectFor(morph, `full:${schemaPath}`, options), schemaPath, jobs, true);
}

function projectFor(morph: typeof import('ts-morph'), key: string, compilerOptions: CompilerOptions): import('ts-morph').Project {
  const project = kept.get(key) as import('ts-morph').Project | undefined;
  if (project) {
    // The project's files may have changed since; packages and lib files are taken to be as they were.
    for (const file of project.getSourceFiles()) if (!file.isInNodeModules()) file.refreshFromFileSystemSync();
    return project;
  }
  const made = new morph.Project({ compilerOptions, skipAddingFilesFromTsConfig: true });
  kept.set(key, made);
  return made;
}

/**
 * The lean program's options, or undefined when `pgqueuer` does not resolve from the schema to
 * a built package (its `defineJobs` declarations beside its entry's).
 */
function leanOptions(ts: typeof import('ts-morph').ts, schemaPath: string, options: CompilerOptions): CompilerOptions | undefined {
  const entry = ts.resolveModuleName('pgqueuer', resolve(schemaPath), options, ts.sys).resolvedModule?.resolvedFileName;
  const defineJobs = entry && join(dirname(entry), 'schema/define-jobs.d.ts');
  if (!defineJobs || !entry.endsWith('index.d.ts') || !existsSync(defineJobs)) return undefined;
  return { ...options, lib: ['lib.esnext.d.ts'], types: [], paths: { pgqueuer: [defineJobs] } };
}

function printWith(
  morph: typeof import('ts-morph'),
  project: import('ts-morph').Project,
  schemaPath: string,
  jobs: ReadonlyArray<{ name: string; hasResult: boolean }>,
  last: boolean,
): Map<string, JobTypes> {
  const { TypeFormatFlags, ts } = morph;
  const schemaFile = project.getSourceFile(schemaPath) ?? project.addSourceFileAtPath(schemaPath);
  project.resolveSourceFileDependencies();
  // The schema file's own type errors are looked up only when its types come out unusable:
  // a check on every run would cost seconds on a large schema, and the editor does it anyway.
  const explain = (fallback: string): never => {
    if (!last) throw new Unusable(fallback);
    const program = project.getProgram().compilerObject;
    const sf = program.getSourceFile(schemaFile.getFilePath())!;
    const problem = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].find(
      (d) => d.category === ts.DiagnosticCategory.Error,
    );
    if (!problem) throw new CodegenError(fallback);
    const line = problem.start === undefined ? undefined : sf.getLineAndCharacterOfPosition(problem.start).line + 1;
    const message = ts.flattenDiagnosticMessageText(problem.messageText, '\n').split('\n')[0];
    throw new CodegenError(`${schemaPath}${line ? `:${line}` : ''} does not type-check: ${message}`);
  };
  const spec = `./${schemaFile.getBaseNameWithoutExtension()}.js`;
  const lines = [
    `import type schema from '${spec}';`,
    `import type { z } from 'zod';`,
    // Recursively rebuilt so the checker prints plain object types instead of zod's helpers.
    `type Flat<T> = T extends Date | RegExp | ((...args: never[]) => unknown) ? T : T extends object ? { [K in keyof T]: Flat<T[K]> } : T;`,
    `type Jobs = (typeof schema)['jobs'];`,
  ];
  for (const [i, job] of jobs.entries()) {
    lines.push(`type P${i} = Flat<z.input<Jobs['${job.name}']['payload']>>;`);
    lines.push(`type O${i} = Flat<z.output<Jobs['${job.name}']['payload']>>;`);
    if (job.hasResult) {
      lines.push(`type R${i} = Flat<z.output<Jobs['${job.name}']['result']>>;`);
      lines.push(`type I${i} = Flat<z.input<Jobs['${job.name}']['result']>>;`);
    }
  }
  const probe = project.createSourceFile(join(dirname(schemaPath), `__pgq_types_${process.pid}.ts`), lines.join('\n'), { overwrite: true });
  const flags = TypeFormatFlags.NoTruncation | TypeFormatFlags.InTypeAlias | TypeFormatFlags.UseSingleQuotesForStringLiteralType;

  const print = (alias: string): PrintedType => {
    const declaration = probe.getTypeAliasOrThrow(alias);
    const type = declaration.getType();
    const isPlainObject =
      type.isObject() && !type.isArray() && !type.isTuple() && type.getCallSignatures().length === 0 &&
      !type.getStringIndexType() && !type.getNumberIndexType() && type.getProperties().length > 0;
    if (!isPlainObject) return { kind: 'alias', text: type.getText(declaration, flags) };
    return {
      kind: 'object',
      members: type.getProperties().map((property) => {
        const optional = property.isOptional();
        let text = property.getTypeAtLocation(declaration).getText(declaration, flags);
        if (optional) text = text.replace(/ \| undefined$/, '');
        return { name: property.getName(), optional, type: text };
      }),
    };
  };

  const result = new Map<string, JobTypes>();
  for (const [i, job] of jobs.entries()) {
    const types: JobTypes = { payload: print(`P${i}`), parsed: print(`O${i}`) };
    if (job.hasResult) {
      types.result = print(`R${i}`);
      types.resultInput = print(`I${i}`);
    }
    for (const printed of Object.values(types)) {
      const text = JSON.stringify(printed);
      // "any" only belongs in the output when the schema asks for it (z.any()), and only the
      // full program can tell: in the lean one it may also be a type that did not resolve.
      if (/\bany\b/.test(text) && !(last && /\.any\(/.test(schemaFile.getFullText()))) {
        explain(`could not resolve the types of job "${job.name}" (got "any"): is zod installed where ${schemaPath} can import it?`);
      }
    }
    result.set(job.name, types);
  }
  return result;
}

/** The compiler options of the tsconfig.json nearest the schema file, so imports resolve as in the editor. */
function userCompilerOptions(ts: typeof import('ts-morph').ts, schemaPath: string): Record<string, unknown> {
  let dir = dirname(resolve(schemaPath));
  for (;;) {
    const candidate = join(dir, 'tsconfig.json');
    if (existsSync(candidate)) {
      const read = ts.readConfigFile(candidate, ts.sys.readFile);
      const parsed = ts.parseJsonConfigFileContent(read.config ?? {}, ts.sys, dir);
      return parsed.options as Record<string, unknown>;
    }
    const parent = dirname(dir);
    if (parent === dir) return { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022 };
    dir = parent;
  }
}
