/**
 * A bounded memo for a pure transform of long texts that recur from request to request.
 *
 * Why: Claude Code sends the same system prompt (~27 K characters) and tool descriptions (~40 K)
 * with every request of a session, and re-decoding or re-encoding them is the costliest part of
 * parsing and converting such a request (their non-ASCII characters make each a fresh two-byte
 * string). With the result remembered, a recurring text costs one map lookup (V8 hashes a string
 * of more than 16 K characters by its length alone, and compares on a hit), and every request of
 * the session shares one string instead of allocating its own.
 *
 * The transform must be pure (the same input always gives the same output): a hit returns what an
 * earlier call derived. Texts shorter than `minChars` are not kept (a lookup would cost about what
 * it saves); neither is an entry larger than a quarter of the budget. Once the kept texts (keys and
 * values) exceed `maxChars` characters, the oldest entries go first (first in, first out: a hit
 * does not reorder the map, which the lookups' share of the profile did not justify; a recurring
 * text dropped this way is derived again once, on its next miss).
 */
export class RecurringTextCache {
  private readonly entries = new Map<string, string>();
  private chars = 0;

  /**
   * @param minChars shortest text kept, characters
   * @param maxChars most characters kept, keys and values together (about 1–2 bytes each)
   */
  constructor(
    private readonly minChars: number,
    private readonly maxChars: number,
  ) {}

  /** `derive(text)`, remembered for a text of at least `minChars` characters. */
  get(text: string, derive: (text: string) => string): string {
    if (text.length < this.minChars) return derive(text);
    const hit = this.entries.get(text);
    if (hit !== undefined) return hit;
    const derived = derive(text);
    // A text that derives to itself is held once.
    const size = derived === text ? text.length : text.length + derived.length;
    if (size > this.maxChars / 4) return derived;
    this.entries.set(text, derived);
    this.chars += size;
    for (const [oldest, value] of this.entries) {
      if (this.chars <= this.maxChars) break;
      this.entries.delete(oldest);
      this.chars -= value === oldest ? oldest.length : oldest.length + value.length;
    }
    return derived;
  }

  /** Texts kept. */
  get size(): number {
    return this.entries.size;
  }
}
