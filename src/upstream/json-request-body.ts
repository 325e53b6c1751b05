import { LONG_TEXT_MIN_CHARS, RecurringTextCache } from '../core/recurring-text-cache.js';

/**
 * The UTF-8 bytes of `JSON.stringify(value)`, byte for byte, made without the two-byte string and
 * without re-serialising the long texts that recur from request to request.
 *
 * Why: a converted Claude Code request (~85 KB) holds non-ASCII text (em dashes, arrows, emoji),
 * so `JSON.stringify` returns a two-byte string of ~170 KB. V8 puts a string that large in the
 * large-object space, and encoding it to UTF-8 goes character by character: measured here, the
 * plain `Buffer.from(JSON.stringify(body))` took 0.8–1.1 ms for such a body. Nine tenths of its
 * characters are in a dozen long texts (the system prompt, tool descriptions, the first user turn's
 * reminders) that a Claude Code session sends again with every request, and escaping them was
 * most of what was left (~0.3 ms of ~0.5 ms, measured on a real first turn).
 *
 * How, in a copy of the value (the value is not changed):
 * - a string of {@link SPLICED_MIN_CHARS}+ characters becomes a placeholder, and its JSON literal
 *   (quoted, escaped, as UTF-8 bytes read as Latin-1) is spliced in after stringifying; the literal
 *   of a recurring text is remembered (`RecurringTextCache`), so it is escaped once per session;
 * - any other string that holds a non-ASCII character (values and keys) becomes its UTF-8 bytes
 *   read as Latin-1 (one character U+0000–U+00FF per byte), so `JSON.stringify` of the copy is a
 *   one-byte string: it escapes only `"`, `\`, characters below U+0020 and lone surrogates, none of
 *   which the replacement adds;
 * - the text is then written as Latin-1, a plain copy of its bytes, with the literals between.
 * A body with no long string and no non-ASCII character is found so by a scan that stops at the
 * first of either, and takes the plain path (its string is one-byte and short already).
 *
 * Exact, or not used: a value that `JSON.stringify` would treat differently from a plain data tree
 * (an object with `toJSON`, such as a `Date` or a `Buffer`, and any object that is not a plain
 * object or an array, such as a boxed `new String(…)`), a short string with a lone surrogate
 * (which `JSON.stringify` escapes as `\udXXX` but UTF-8 cannot carry), and a body one of whose
 * own strings stringifies to the placeholder's text take the plain path.
 */

/** Strings this long or longer are spliced in as their remembered JSON literal (the memo's own threshold). */
export const SPLICED_MIN_CHARS = LONG_TEXT_MIN_CHARS;

const NON_ASCII = /[^\u0000-\u007f]/;

/** What the copy holds in place of a long string. */
const PLACEHOLDER = '\u0000';
/** The placeholder as `JSON.stringify` writes it: found in the text only where a placeholder is, or the body holds that very text itself. */
const PLACEHOLDER_JSON = JSON.stringify(PLACEHOLDER);

/** What the copy met that it cannot reproduce exactly. */
const PLAIN_PATH = Symbol('plain path');

/** Well-formed text as its UTF-8 bytes read as Latin-1. */
function utf8BytesAsLatin1(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/**
 * A string's JSON literal as UTF-8 bytes read as Latin-1: exact for every string, lone
 * surrogates included (`JSON.stringify` escapes them, so its text is always well-formed).
 */
function jsonLiteralAsLatin1Bytes(text: string): string {
  const literal = JSON.stringify(text);
  return NON_ASCII.test(literal) ? utf8BytesAsLatin1(literal) : literal;
}

/** JSON literals of long texts escaped before: the system prompt and tool descriptions recur in every request of a Claude Code session. */
const longTextLiterals = new RecurringTextCache();

/** A short string as its UTF-8 bytes read as Latin-1; ASCII text unchanged. */
function asLatin1Bytes(text: string): string | typeof PLAIN_PATH {
  if (!NON_ASCII.test(text)) return text;
  if (!(text as string & { isWellFormed(): boolean }).isWellFormed()) return PLAIN_PATH;
  return utf8BytesAsLatin1(text);
}

/** Whether a JSON data tree holds a long string or a non-ASCII character (value or key); stops at the first. */
function needsCopy(value: unknown): boolean {
  if (typeof value === 'string') return value.length >= SPLICED_MIN_CHARS || NON_ASCII.test(value);
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) if (needsCopy(item)) return true;
    return false;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) if (NON_ASCII.test(key) || needsCopy(record[key])) return true;
  return false;
}

/** Makes the copy {@link jsonRequestBody} stringifies, listing its placeholders' literals in the order `JSON.stringify` meets them. */
class Latin1Copy {
  readonly literals: string[] = [];

  /** A copy of a JSON data tree (see the module comment), or {@link PLAIN_PATH}. */
  copy(value: unknown): unknown {
    if (typeof value === 'string') {
      if (value.length < SPLICED_MIN_CHARS) return asLatin1Bytes(value);
      this.literals.push(longTextLiterals.get(value, jsonLiteralAsLatin1Bytes));
      return PLACEHOLDER;
    }
    if (typeof value !== 'object' || value === null) return value;
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return PLAIN_PATH;
    if (Array.isArray(value)) {
      const items = value as unknown[];
      const copy = new Array<unknown>(items.length);
      for (let index = 0; index < items.length; index += 1) {
        const item = this.copy(items[index]);
        if (item === PLAIN_PATH) return PLAIN_PATH;
        copy[index] = item;
      }
      return copy;
    }
    // Only plain objects: JSON.stringify treats boxed primitives (`new String('é')`) and others its own way.
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) return PLAIN_PATH;
    const record = value as Record<string, unknown>;
    const copy: Record<string, unknown> = {};
    // Keys in the original's order (integer-like first, then as inserted), which the copy keeps:
    // the placeholders' literals are listed in the order JSON.stringify writes them.
    for (const key of Object.keys(record)) {
      const item = this.copy(record[key]);
      const copiedKey = asLatin1Bytes(key);
      if (item === PLAIN_PATH || copiedKey === PLAIN_PATH) return PLAIN_PATH;
      if (copiedKey === '__proto__') Object.defineProperty(copy, copiedKey, { value: item, enumerable: true, writable: true, configurable: true });
      else copy[copiedKey] = item;
    }
    return copy;
  }
}

/** The copy and its literals, or {@link PLAIN_PATH}. */
function latin1Copy(value: unknown): { value: unknown; literals: readonly string[] } | typeof PLAIN_PATH {
  try {
    // Short all-ASCII text stringifies to a short one-byte string already: the plain path, no copy.
    if (!needsCopy(value)) return PLAIN_PATH;
    const copier = new Latin1Copy();
    const copy = copier.copy(value);
    return copy === PLAIN_PATH ? PLAIN_PATH : { value: copy, literals: copier.literals };
  } catch {
    return PLAIN_PATH; // a cycle or very deep nesting: the plain path throws JSON.stringify's own error
  }
}

/** Whether {@link jsonRequestBody} makes `value`'s bytes through the Latin-1 copy (else the plain path, as for short all-ASCII text). */
export function takesLatin1Path(value: unknown): boolean {
  return latin1Copy(value) !== PLAIN_PATH;
}

/** `JSON.stringify`'s text of the copy, written as Latin-1 with the long texts' literals in place of their placeholders; undefined if the text holds the placeholder's JSON more often than there are placeholders. */
function spliceLiterals(text: string, literals: readonly string[]): Buffer | undefined {
  if (literals.length === 0) return Buffer.from(text, 'latin1');
  // A placeholder's JSON is always a whole value (after `[`, `,` or `:`, before `,`, `]` or `}`),
  // so no other match can overlap one; any other match is a string of the body's own.
  const pieces = text.split(PLACEHOLDER_JSON);
  if (pieces.length !== literals.length + 1) return undefined;
  let length = pieces[literals.length].length;
  for (let index = 0; index < literals.length; index += 1) length += pieces[index].length + literals[index].length;
  const bytes = Buffer.allocUnsafe(length);
  let offset = 0;
  for (let index = 0; index < literals.length; index += 1) {
    offset += bytes.write(pieces[index], offset, 'latin1');
    offset += bytes.write(literals[index], offset, 'latin1');
  }
  bytes.write(pieces[literals.length], offset, 'latin1');
  return bytes;
}

/**
 * A JSON request body for an upstream call: exactly `Buffer.from(JSON.stringify(value), 'utf8')`.
 * @param value JSON data (plain objects, arrays, strings, numbers, booleans, null)
 * @returns the body's UTF-8 bytes
 * @throws TypeError or RangeError where `JSON.stringify` throws them (a cycle, a BigInt, nesting deeper than the stack)
 */
export function jsonRequestBody(value: unknown): Buffer {
  const copy = latin1Copy(value);
  if (copy !== PLAIN_PATH) {
    const bytes = spliceLiterals(JSON.stringify(copy.value), copy.literals);
    if (bytes !== undefined) return bytes;
  }
  return Buffer.from(JSON.stringify(value), 'utf8');
}
