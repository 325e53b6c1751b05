/** Shortest text worth remembering, characters: below it a lookup costs about what it saves. */
export const LONG_TEXT_MIN_CHARS = 512;
/** Characters a memo keeps by default (keys and values; about 1–2 bytes each). */
const DEFAULT_BUDGET_CHARS = 4 * 1024 * 1024;

/** Most texts kept under one sampled key. */
const MAX_ENTRIES_PER_KEY = 4;
/** Characters sampled evenly across a text (first and last included) for its key. */
const SPREAD_SAMPLES = 16;
/** Characters sampled at each end of a text for its key. */
const END_SAMPLES = 8;

/** A key for a text from its length and characters sampled at its ends and across it (not a hash of all of it). */
function sampledKey(text: string): number {
  const length = text.length;
  let key = length;
  const last = length - 1;
  for (let sample = 0; sample < SPREAD_SAMPLES; sample += 1) key = (Math.imul(key, 31) + text.charCodeAt(Math.floor((last * sample) / (SPREAD_SAMPLES - 1)))) | 0;
  const ends = Math.min(END_SAMPLES, length);
  for (let index = 0; index < ends; index += 1) key = (Math.imul(key, 31) + text.charCodeAt(index) + text.charCodeAt(last - index)) | 0;
  return key;
}

interface Entry {
  text: string;
  derived: string;
  key: number;
  /** Characters it holds: text and derived, or the text once when it derives to itself. */
  size: number;
}

/**
 * A bounded memo for a pure transform of long texts that recur from request to request.
 *
 * Why: Claude Code sends the same system prompt (~27 K characters) and tool descriptions (~40 K)
 * with every request of a session, and re-decoding or re-encoding them is the costliest part of
 * parsing and converting such a request (their non-ASCII characters make each a fresh two-byte
 * string). With the result remembered, a recurring text costs one lookup, and every request of
 * the session shares one string instead of allocating its own.
 *
 * Lookups do not hash the whole text: a `Map` keyed by the texts hashed each fresh string (each
 * request's parse makes its own) character by character (5 % of the event loop on the 85 KB
 * passthrough bench). Entries are keyed by the length and a few dozen characters sampled across
 * the text, and texts are compared whole only within a key (a memory compare). At most
 * {@link MAX_ENTRIES_PER_KEY} texts share a key; more are derived, not kept, so texts made to
 * collide cannot make lookups slow.
 *
 * The transform must be pure (the same input always gives the same output): a hit returns what an
 * earlier call derived. Texts shorter than `minChars` are not kept (a lookup would cost about what
 * it saves); neither is an entry larger than a quarter of the budget. Once the kept texts (keys and
 * values) exceed `maxChars` characters, the oldest entries go first (first in, first out: a hit
 * does not reorder the entries, which the lookups' share of the profile did not justify; a recurring
 * text dropped this way is derived again once, on its next miss).
 */
export class RecurringTextCache {
  /** Entries by sampled key. */
  private readonly entries = new Map<number, Entry[]>();
  /** Every entry kept, oldest first, from `oldest` on (earlier slots are dropped entries, compacted away now and then). */
  private order: Array<Entry | undefined> = [];
  private oldest = 0;
  private chars = 0;

  /**
   * @param minChars shortest text kept, characters
   * @param maxChars most characters kept, keys and values together (about 1–2 bytes each)
   */
  constructor(
    private readonly minChars: number = LONG_TEXT_MIN_CHARS,
    private readonly maxChars: number = DEFAULT_BUDGET_CHARS,
  ) {}

  /** `derive(text)`, remembered for a text of at least `minChars` characters. */
  get(text: string, derive: (text: string) => string): string {
    if (text.length < this.minChars) return derive(text);
    const key = sampledKey(text);
    const sameKey = this.entries.get(key);
    if (sameKey !== undefined) for (const entry of sameKey) if (entry.text === text) return entry.derived;
    const derived = derive(text);
    // A text that derives to itself is held once.
    const size = derived === text ? text.length : text.length + derived.length;
    if (size > this.maxChars / 4 || (sameKey !== undefined && sameKey.length >= MAX_ENTRIES_PER_KEY)) return derived;
    const entry: Entry = { text, derived, key, size };
    if (sameKey === undefined) this.entries.set(key, [entry]);
    else sameKey.push(entry);
    this.order.push(entry);
    this.chars += size;
    while (this.chars > this.maxChars) this.dropOldest();
    return derived;
  }

  /** Texts kept. */
  get size(): number {
    return this.order.length - this.oldest;
  }

  private dropOldest(): void {
    const entry = this.order[this.oldest];
    if (entry === undefined) return;
    this.order[this.oldest] = undefined;
    this.oldest += 1;
    // Compact the queue once most of it is dropped slots.
    if (this.oldest > 64 && this.oldest * 2 > this.order.length) {
      this.order = this.order.slice(this.oldest);
      this.oldest = 0;
    }
    const sameKey = this.entries.get(entry.key);
    if (sameKey !== undefined) {
      const rest = sameKey.filter((kept) => kept !== entry);
      if (rest.length === 0) this.entries.delete(entry.key);
      else this.entries.set(entry.key, rest);
    }
    this.chars -= entry.size;
  }
}
