/**
 * How many terminal cells text takes. A table padded by UTF-16 length misaligns as soon as a
 * cell holds CJK text or an emoji (two cells for one or two units), or an accent written as
 * a combining mark (no cell of its own). Widths follow what terminals do: East Asian Wide and
 * Fullwidth characters and emoji shown as emoji take 2 cells, combining marks, joiners,
 * variation selectors and other invisible format characters 0, everything else 1. Text is
 * measured per grapheme (what a user sees as one character), so an emoji sequence built from
 * several code points (a family, a flag, a skin tone, a keycap) counts once.
 */

/** Wide and Fullwidth ranges of East Asian scripts and symbols (emoji are matched by property). */
const WIDE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f], // Hangul Jamo initial consonants
  [0x2329, 0x232a], // angle brackets
  [0x2e80, 0x303e], // CJK radicals, Kangxi radicals, ideographic description, CJK symbols and punctuation
  [0x3041, 0x33ff], // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, Kanbun, CJK strokes, enclosed CJK
  [0x3400, 0x4dbf], // CJK extension A
  [0x4e00, 0x9fff], // CJK unified ideographs
  [0xa000, 0xa4cf], // Yi
  [0xa960, 0xa97f], // Hangul Jamo extended A
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe10, 0xfe19], // vertical forms
  [0xfe30, 0xfe6f], // CJK compatibility forms, small form variants
  [0xff01, 0xff60], // fullwidth ASCII and punctuation
  [0xffe0, 0xffe6], // fullwidth signs
  [0x16fe0, 0x16fe4], // ideographic symbols
  [0x17000, 0x18cff], // Tangut, Khitan
  [0x1b000, 0x1b2ff], // Kana supplement and extensions, Nushu
  [0x1f200, 0x1f2ff], // enclosed ideographic supplement
  [0x20000, 0x3fffd], // CJK extensions B and later (planes 2 and 3)
];

/** No cell: combining and enclosing marks, format characters (ZWJ, ZWSP, BOM, tags), variation selectors, conjoining Jamo vowels and finals. */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\u1160-\u11ff\ufe00-\ufe0f\u{e0100}-\u{e01ef}]$/u;
const EMOJI_PRESENTATION = /\p{Emoji_Presentation}/u;
const EMOJI = /^\p{Emoji}/u;
/** Printable ASCII only: the common case, measured without segmenting. */
const NARROW_ASCII = /^[\x20-\x7e]*$/;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

function isWide(codePoint: number): boolean {
  for (const [from, to] of WIDE_RANGES) {
    if (codePoint < from) return false;
    if (codePoint <= to) return true;
  }
  return false;
}

function codePointWidth(char: string): number {
  const cp = char.codePointAt(0)!;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0; // controls draw nothing (printable() blanks them first)
  if (ZERO_WIDTH.test(char)) return 0;
  if (isWide(cp) || EMOJI_PRESENTATION.test(char)) return 2;
  return 1;
}

/** Cells of one grapheme: its widest code point, or 2 for an emoji asked for by U+FE0F (❤️, 1️⃣). */
function graphemeWidth(grapheme: string): number {
  if (grapheme.length === 1) return codePointWidth(grapheme);
  if (grapheme.includes('\ufe0f') && EMOJI.test(grapheme)) return 2;
  let width = 0;
  for (const char of grapheme) width = Math.max(width, codePointWidth(char));
  return width;
}

/** The terminal cells `text` takes on one line. */
export function cellWidth(text: string): number {
  if (NARROW_ASCII.test(text)) return text.length;
  let width = 0;
  for (const { segment } of graphemes.segment(text)) width += graphemeWidth(segment);
  return width;
}

/**
 * The longest start of `text` that fits in `width` cells, cut between graphemes (never inside
 * a surrogate pair, an emoji sequence or before a combining mark). A wide character that would
 * straddle the edge is left out, so the result may be a cell short.
 */
export function truncateCells(text: string, width: number): string {
  if (NARROW_ASCII.test(text)) return text.slice(0, Math.max(0, width));
  let used = 0;
  let end = 0;
  for (const { segment, index } of graphemes.segment(text)) {
    const w = graphemeWidth(segment);
    if (used + w > width) return text.slice(0, index);
    used += w;
    end = index + segment.length;
  }
  return text.slice(0, end);
}

/** `text` followed by spaces up to `width` cells (unchanged when it is already as wide). */
export function padCells(text: string, width: number): string {
  const missing = width - cellWidth(text);
  return missing > 0 ? text + ' '.repeat(missing) : text;
}
