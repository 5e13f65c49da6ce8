/**
 * Waiting helpers. Tests never sleep for a fixed time to let something happen; they wait for
 * the thing itself, and fail with a message if it does not come in time.
 */

/** Resolves when `promise` does; rejects with `what` in the message after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Re-checks `check` until it returns a truthy value (which is returned), or fails after `ms`. */
export async function until<T>(check: () => Promise<T> | T, ms: number, what: string): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A promise with its resolve function exposed, to turn callbacks into awaitable events. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (err: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves after `count` calls of the returned `tick`. */
export function countdown(count: number): { tick: () => void; done: Promise<void>; readonly seen: number } {
  const d = deferred();
  let seen = 0;
  if (count <= 0) d.resolve();
  return {
    tick() {
      seen++;
      if (seen === count) d.resolve();
    },
    done: d.promise,
    get seen() {
      return seen;
    },
  };
}
