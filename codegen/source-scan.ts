/**
 * What the project's source says that the running schema does not show: the string literals
 * it writes (how often each), and TypeScript-only constructs that can make the checker's view
 * of a schema differ from the zod objects at run time (a cast, an annotation, a brand). Read
 * from the text, roughly but on the safe side: a false alarm only sends a job to the checker.
 */

export interface SourceScan {
  /** Each string literal's text → how many times it is written. */
  strings: Map<string, number>;
  /** Why the checker must print the types, if it must. */
  needsChecker?: string;
}

/** Matches, in order: a comment, a quoted string, a template literal. */
const TOKEN = /\/\/[^\n]*|\/\*[\s\S]*?\*\/|'((?:\\.|[^'\\\n])*)'|"((?:\\.|[^"\\\n])*)"|`((?:\\.|[^`\\])*)`/g;

/** Constructs after which TypeScript's type of a zod value may not be what the value is. */
const CHECKER_ONLY: Array<[RegExp, string]> = [
  [/\bas\s+(?!const\b)[\w${[(<'"`]/, 'a type assertion'],
  [/(?<![.\w$])any\b/, 'the any type'],
  [/\bZod\w*|\$Zod|\bz\s*\.\s*(input|output|infer)\b/, "a zod type named in a type position"],
  [/\.\s*brand\s*[<(]/, 'a branded type'],
  [/\.\s*[\w$]+\s*<[^;()]*>\s*\(/, 'a call with explicit type arguments'],
  [/\b(const|let|var)\s+[\w$]+\s*:/, 'a type annotation'],
  [/\)\s*:\s*[\w${[(<]/, 'a return type annotation'],
  [/\benum\s+[\w$]+\s*\{|\bdeclare\s|\bnamespace\s/, 'a TypeScript declaration'],
  // Their types order keys (or enum members) otherwise than the objects they return at run time.
  [/\.\s*(extend|safeExtend|merge|pick|omit|partial|required|keyof|exclude|extract)\s*\(/, 'a derived object or enum schema'],
  [/\.\.\./, 'a spread'],
  // A getter in a shape is how zod 4 spells a recursive schema.
  [/\bget\s+[\w$]+\s*\(/, 'a getter'],
];

export function scanSource(texts: readonly string[]): SourceScan {
  const strings = new Map<string, number>();
  let needsChecker: string | undefined;
  for (const text of texts) {
    if (/@ts-(ignore|expect-error|nocheck)/.test(text)) needsChecker ??= 'a suppressed type error';
    const code = text.replace(TOKEN, (token, single?: string, double?: string, template?: string) => {
      if (token.startsWith('/')) return ' ';
      const raw = single ?? double ?? template ?? '';
      // An escape or an interpolation: the text is not what it reads; count it under a name no value has.
      const value = /[\\$]/.test(raw) ? `\0${raw}` : raw;
      strings.set(value, (strings.get(value) ?? 0) + 1);
      return '""';
    });
    for (const [pattern, what] of CHECKER_ONLY) if (pattern.test(code)) needsChecker ??= what;
  }
  return { strings, ...(needsChecker ? { needsChecker } : {}) };
}
