/** `--name N` from the command line of a single-purpose bench script: a positive integer, or `fallback`. */
export function countOption(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i === -1 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} takes a positive integer`);
  return value;
}
