import { InvalidArgumentError } from 'commander';

/** A commander parser for an integer option of at least `min`, naming the bad value. */
export function integerAtLeast(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`"${value}" is not an integer of at least ${min}`);
    return n;
  };
}

/** A commander parser collecting variadic job ids. */
export function jobIds(value: string, previous: number[] = []): number[] {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id < 1) throw new InvalidArgumentError(`"${value}" is not a job id`);
  return [...previous, id];
}
