/**
 * Half of a UTF-16 surrogate pair with no partner: JavaScript strings allow it (a string cut in
 * the middle of an emoji), PostgreSQL's jsonb refuses it. (String#isWellFormed does the same
 * test from ES2024; written out here so the sources compile against ES2023 libs.)
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/** The text with each lone surrogate replaced by U+FFFD, the replacement character. */
export function replaceLoneSurrogates(text: string): string {
  return text.replace(LONE_SURROGATES, '\uFFFD');
}
