import { RecurringTextCache } from '../core/recurring-text-cache.js';

/**
 * The UTF-8 bytes of `JSON.stringify(value)`, byte for byte, made without the two-byte string.
 *
 * Why: a converted Claude Code request (~85 KB) holds non-ASCII text (em dashes, arrows, emoji),
 * so `JSON.stringify` returns a two-byte string of ~170 KB. V8 puts a string that large in the
 * large-object space, and encoding it to UTF-8 goes character by character: measured here, the
 * plain `Buffer.from(JSON.stringify(body))` took 0.8–1.1 ms for such a body and was ~18 % of the
 * gateway's event loop on the translated 85 KB bench, more than the conversion itself.
 *
 * How: every string that holds a non-ASCII character is replaced, in a copy of the value, by its
 * UTF-8 bytes read as Latin-1 (one character U+0000–U+00FF per byte). `JSON.stringify` of the copy
 * is then a one-byte string (it escapes only `"`, `\`, control characters below U+0020 and lone
 * surrogates, none of which the replacement contains beyond what ASCII text already had), and
 * writing it as Latin-1 is a plain copy of those very bytes: 0.25–0.35 ms for the same body. The
 * Latin-1 form of a long text is remembered (`RecurringTextCache`): a Claude Code session resends
 * the same system prompt and tool descriptions with every request. A body
 * whose text is all ASCII is found so by a scan that stops at the first non-ASCII string, and takes
 * the plain path (its string is one-byte already).
 *
 * Exact, or not used: a value that `JSON.stringify` would treat differently from a plain data tree
 * (an object with `toJSON`, such as a `Date` or a `Buffer`, and any object that is not a plain
 * object or an array, such as a boxed `new String(…)`) and text with lone surrogates (which
 * `JSON.stringify` escapes as `\udXXX` but UTF-8 cannot carry) take the plain path.
 */

const NON_ASCII = /[^\u0000-\u007f]/;

/** What the copy met that it cannot reproduce exactly. */
const PLAIN_PATH = Symbol('plain path');

/** Well-formed text as its UTF-8 bytes read as Latin-1. */
function utf8BytesAsLatin1(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** Long texts encoded before: the system prompt and tool descriptions recur in every request of a Claude Code session. */
const encodedTexts = new RecurringTextCache(512, 4 * 1024 * 1024);

/** A string as its UTF-8 bytes read as Latin-1; ASCII text unchanged. */
function asLatin1Bytes(text: string): string | typeof PLAIN_PATH {
  if (!NON_ASCII.test(text)) return text;
  if (!(text as string & { isWellFormed(): boolean }).isWellFormed()) return PLAIN_PATH;
  return encodedTexts.get(text, utf8BytesAsLatin1);
}

/** Whether any string (value or key) in a JSON data tree holds a non-ASCII character; stops at the first. */
function holdsNonAscii(value: unknown): boolean {
  if (typeof value === 'string') return NON_ASCII.test(value);
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) if (holdsNonAscii(item)) return true;
    return false;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) if (NON_ASCII.test(key) || holdsNonAscii(record[key])) return true;
  return false;
}

/** A copy of a JSON data tree with every string (values and keys) as {@link asLatin1Bytes}. */
function copyAsLatin1Bytes(value: unknown): unknown {
  if (typeof value === 'string') return asLatin1Bytes(value);
  if (typeof value !== 'object' || value === null) return value;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return PLAIN_PATH;
  if (Array.isArray(value)) {
    const items = value as unknown[];
    const copy = new Array<unknown>(items.length);
    for (let index = 0; index < items.length; index += 1) {
      const item = copyAsLatin1Bytes(items[index]);
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
  for (const key of Object.keys(record)) {
    const item = copyAsLatin1Bytes(record[key]);
    const copiedKey = asLatin1Bytes(key);
    if (item === PLAIN_PATH || copiedKey === PLAIN_PATH) return PLAIN_PATH;
    copy[copiedKey] = item;
  }
  return copy;
}

/** The copy {@link jsonRequestBody} stringifies, or {@link PLAIN_PATH}. */
function latin1Copy(value: unknown): unknown {
  try {
    // All-ASCII text stringifies to a one-byte string already: the plain path, no copy.
    if (!holdsNonAscii(value)) return PLAIN_PATH;
    return copyAsLatin1Bytes(value);
  } catch {
    return PLAIN_PATH; // a cycle or very deep nesting: the plain path throws JSON.stringify's own error
  }
}

/** Whether {@link jsonRequestBody} makes `value`'s bytes through the Latin-1 copy (else the plain path, as for all-ASCII text). */
export function takesLatin1Path(value: unknown): boolean {
  return latin1Copy(value) !== PLAIN_PATH;
}

/**
 * A JSON request body for an upstream call: exactly `Buffer.from(JSON.stringify(value), 'utf8')`.
 * @param value JSON data (plain objects, arrays, strings, numbers, booleans, null)
 * @returns the body's UTF-8 bytes
 * @throws TypeError or RangeError where `JSON.stringify` throws them (a cycle, a BigInt, nesting deeper than the stack)
 */
export function jsonRequestBody(value: unknown): Buffer {
  const copy = latin1Copy(value);
  if (copy === PLAIN_PATH) return Buffer.from(JSON.stringify(value), 'utf8');
  return Buffer.from(JSON.stringify(copy), 'latin1');
}
