/**
 * Half of a UTF-16 surrogate pair with no partner: JavaScript strings allow it (a string cut in
 * the middle of an emoji), PostgreSQL's jsonb refuses it. String#isWellFormed and #toWellFormed
 * (ES2024) test and mend it natively in every Node this package supports (>= 20.19); the sources
 * compile against ES2023's lib, which lacks them, hence the cast. Native, the test costs a
 * fraction of the regular expression it replaces, and runs for every string of every payload.
 */
type WellFormed = string & { isWellFormed(): boolean; toWellFormed(): string };

export function hasLoneSurrogate(text: string): boolean {
  return !(text as WellFormed).isWellFormed();
}

/** The text with each lone surrogate replaced by U+FFFD, the replacement character. */
export function replaceLoneSurrogates(text: string): string {
  return (text as WellFormed).toWellFormed();
}
