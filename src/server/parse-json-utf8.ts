import { isAscii, isUtf8 } from 'node:buffer';
import { RecurringTextCache } from '../core/recurring-text-cache.js';

/**
 * `JSON.parse(body.toString('utf8'))` with the same result and the same errors, faster for large
 * bodies that contain non-ASCII text (a Claude Code request: ~85 KB with em dashes, arrows, emoji).
 *
 * Why: V8 decodes UTF-8 with non-ASCII characters into a two-byte string at about 1 ns per byte
 * after the first non-ASCII byte, and a string of more than 64 Ki characters (128 KiB two-byte)
 * goes to the large-object space, whose fresh pages cost another ~100 µs; together more than the
 * parse itself. The fast path decodes the bytes as Latin-1 instead (a one-byte copy), parses that,
 * and then re-decodes as UTF-8 only the string values that hold non-ASCII bytes.
 *
 * Why it is exact: JSON's syntax is ASCII, so a byte ≥ 0x80 is valid only inside a string, where
 * any character ≥ U+0020 is allowed; a body parses under Latin-1 exactly when it parses under
 * UTF-8, with the same structure, numbers and ASCII text. Inside strings, Latin-1 turns each raw
 * byte ≥ 0x80 into one character U+0080–U+00FF, and re-encoding such a string as Latin-1 gives
 * back its raw bytes (with escapes already resolved) for UTF-8 decoding. That holds when:
 * - the body is valid UTF-8 (no replacement characters to reproduce: `isUtf8`);
 * - every `\u` escape yields an ASCII character (`\u0000`–`\u007f`), so that characters
 *   U+0080–U+00FF come only from raw bytes and no character above U+00FF exists before repair;
 * - no object key holds a non-ASCII byte (keys are not repaired).
 * Otherwise, and for small or pure-ASCII bodies (already fast), it is the plain
 * `JSON.parse(body.toString('utf8'))`. A parse error is always the plain path's own error.
 *
 * Every long string (`LONG_TEXT_MIN_CHARS`, 512+ characters, ASCII or not) is looked up in a memo
 * of long texts (`RecurringTextCache`): Claude Code resends the same system prompt and tool
 * descriptions with every request, and they then cost a lookup, not a scan and a decode, and share
 * one string across requests.
 */

/** Below this size the plain decode is fast (no large-object string); not worth the checks. */
const FAST_PATH_MIN_BYTES = 32 * 1024;

/** A character that came from a raw byte ≥ 0x80 under the Latin-1 decoding. */
const RAW_HIGH_BYTE = /[\u0080-\u00ff]/;

const BACKSLASH_U = Buffer.from('\\u', 'latin1');
const DIGIT_0 = 0x30;
const DIGIT_7 = 0x37;

/**
 * Whether every `\u` in the raw text is followed by `00` and a digit 0–7: each `\uXXXX` escape
 * then yields an ASCII character. (An escaped backslash followed by `u` also counts as a `\u`;
 * that only sends a body down the plain path, never the other way round.)
 */
function hasOnlyAsciiUnicodeEscapes(body: Buffer): boolean {
  for (let index = body.indexOf(BACKSLASH_U); index !== -1; index = body.indexOf(BACKSLASH_U, index + 2)) {
    const third = body[index + 4];
    if (body[index + 2] !== DIGIT_0 || body[index + 3] !== DIGIT_0 || third === undefined || third < DIGIT_0 || third > DIGIT_7) return false;
  }
  return true;
}

function plainParse(body: Buffer): unknown {
  return JSON.parse(body.toString('utf8'));
}

/** Longest string re-decoded through the shared scratch buffer, characters (longer ones get a buffer of their own). */
const SCRATCH_MAX_CHARS = 1024 * 1024;
/** Reused for every re-decode: one buffer instead of one allocation per string (measured: a third less time for a Claude Code body). */
let scratch = Buffer.allocUnsafeSlow(64 * 1024);

/** Raw bytes read as Latin-1, decoded as the UTF-8 they are. */
function decodeRawBytes(text: string): string {
  if (text.length > SCRATCH_MAX_CHARS) return Buffer.from(text, 'latin1').toString('utf8');
  if (text.length > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.min(SCRATCH_MAX_CHARS, text.length * 2));
  const length = scratch.write(text, 0, 'latin1');
  return scratch.toString('utf8', 0, length);
}

/** Long texts decoded before: Claude Code resends its system prompt and tool descriptions with every request. */
const decodedTexts = new RecurringTextCache();

/** Raw bytes read as Latin-1 decoded as UTF-8; ASCII text as it is. */
function decodeIfRaw(text: string): string {
  return RAW_HIGH_BYTE.test(text) ? decodeRawBytes(text) : text;
}

/**
 * A string parsed from Latin-1-decoded text, as it would have been parsed from UTF-8. A long one
 * is looked up first, ASCII or not: a recurring text then costs the lookup alone (no scan for
 * raw bytes), and the request holds the remembered string instead of its fresh copy, which dies
 * young instead of being carried through the scavenges of the request's lifetime.
 */
function repairString(text: string): string {
  return decodedTexts.get(text, decodeIfRaw);
}

/**
 * Re-decodes, in place, every string value of a parsed JSON tree (iteratively: JSON may nest
 * deeper than the call stack). @returns false when an object key needs repair (not handled)
 */
function repairStringsInPlace(root: object): boolean {
  const pending: object[] = [root];
  for (let container = pending.pop(); container !== undefined; container = pending.pop()) {
    if (Array.isArray(container)) {
      const array = container as unknown[];
      for (let index = 0; index < array.length; index += 1) {
        const item = array[index];
        if (typeof item === 'string') array[index] = repairString(item);
        else if (typeof item === 'object' && item !== null) pending.push(item);
      }
      continue;
    }
    const record = container as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (RAW_HIGH_BYTE.test(key)) return false;
      const item = record[key];
      // An own data property (JSON.parse makes every key one, `__proto__` included) is simply overwritten.
      if (typeof item === 'string') record[key] = repairString(item);
      else if (typeof item === 'object' && item !== null) pending.push(item);
    }
  }
  return true;
}

/**
 * Whether {@link parseJsonUtf8} parses `body` through its Latin-1 fast path (it still falls back
 * when an object key holds a non-ASCII byte, and for text that is not JSON).
 */
export function takesLatin1FastPath(body: Buffer): boolean {
  return body.length >= FAST_PATH_MIN_BYTES && !isAscii(body) && isUtf8(body) && hasOnlyAsciiUnicodeEscapes(body);
}

/**
 * Parses a UTF-8 JSON body: the same value as `JSON.parse(body.toString('utf8'))`, and the same
 * `SyntaxError` when it is not JSON.
 */
export function parseJsonUtf8(body: Buffer): unknown {
  if (!takesLatin1FastPath(body)) return plainParse(body);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('latin1'));
  } catch {
    // Not JSON under either decoding: throw the plain path's own error.
    return plainParse(body);
  }
  if (typeof parsed === 'string') return repairString(parsed);
  if (typeof parsed !== 'object' || parsed === null) return parsed;
  return repairStringsInPlace(parsed) ? parsed : plainParse(body);
}
