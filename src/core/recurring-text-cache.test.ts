import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecurringTextCache } from './recurring-text-cache.js';

/** A transform that counts its calls. */
function counted(): { derive: (text: string) => string; calls: string[] } {
  const calls: string[] = [];
  return { calls, derive: (text) => (calls.push(text), text.toUpperCase()) };
}

describe('RecurringTextCache', () => {
  it('derives a recurring long text once and returns the same result after', () => {
    const cache = new RecurringTextCache(4, 1000);
    const { derive, calls } = counted();
    const text = 'system prompt';
    assert.equal(cache.get(text, derive), 'SYSTEM PROMPT');
    // A text equal in value, made separately (as each request's parse makes its own).
    assert.equal(cache.get(['system', 'prompt'].join(' '), derive), 'SYSTEM PROMPT');
    assert.deepEqual(calls, ['system prompt']);
  });

  it('does not keep texts shorter than the minimum, nor entries over a quarter of the budget', () => {
    const cache = new RecurringTextCache(4, 100);
    const { derive, calls } = counted();
    cache.get('abc', derive);
    cache.get('abc', derive);
    const large = 'x'.repeat(13); // 26 characters with its result: over 100 / 4
    cache.get(large, derive);
    cache.get(large, derive);
    assert.deepEqual(calls, ['abc', 'abc', large, large]);
    assert.equal(cache.size, 0);
  });

  it('counts a text that derives to itself once against its budget', () => {
    const cache = new RecurringTextCache(1, 40);
    const { calls } = counted();
    const same = (text: string): string => {
      calls.push(text);
      return text;
    };
    // Eight texts of 5 characters that derive to themselves: 40 characters, all kept.
    const texts = Array.from({ length: 8 }, (_, index) => `${index}`.repeat(5));
    for (const text of texts) cache.get(text, same);
    assert.equal(cache.size, 8);
    for (const text of texts) assert.equal(cache.get(text, same), text);
    assert.equal(calls.length, 8, 'every later lookup was a hit');
    cache.get('99999', same); // the ninth: over budget, the oldest goes
    assert.equal(cache.size, 8);
  });

  it('tells apart texts whose sampled characters agree, and keeps at most four under one key', () => {
    const cache = new RecurringTextCache(1, 100_000);
    const { derive, calls } = counted();
    // 100 characters; index 10 is neither at an end nor one of the evenly spread samples.
    const variant = (letter: string): string => `${'a'.repeat(10)}${letter}${'a'.repeat(89)}`;
    const texts = ['b', 'c', 'd', 'e', 'f', 'g'].map(variant);
    for (const text of texts) assert.equal(cache.get(text, derive), text.toUpperCase());
    assert.equal(cache.size, 4, 'the fifth and sixth are derived, not kept');
    for (const text of texts) assert.equal(cache.get(text, derive), text.toUpperCase());
    assert.deepEqual(calls, [...texts, texts[4], texts[5]], 'the first four were hits');
  });

  it('stays within its budget over many texts, keeping the newest', () => {
    const cache = new RecurringTextCache(1, 200); // each entry: 10 + 10 characters, ten fit
    const { derive, calls } = counted();
    const texts = Array.from({ length: 300 }, (_, index) => `text${String(index).padStart(6, '0')}`);
    for (const text of texts) cache.get(text, derive);
    assert.equal(cache.size, 10);
    calls.length = 0;
    for (const text of texts.slice(-10)) cache.get(text, derive);
    assert.deepEqual(calls, [], 'the ten newest are kept');
    cache.get(texts[0], derive);
    assert.deepEqual(calls, [texts[0]], 'an old one is derived again');
  });

  it('drops the oldest texts past its budget', () => {
    const cache = new RecurringTextCache(1, 40); // each entry below: 5 + 5 characters, four fit
    const { derive, calls } = counted();
    const [a, b, c, d, e] = ['aaaaa', 'bbbbb', 'ccccc', 'ddddd', 'eeeee'];
    for (const text of [a, b, c, d]) cache.get(text, derive);
    cache.get(a, derive); // a hit
    cache.get(e, derive); // over budget: a, the oldest, goes
    assert.equal(cache.size, 4);
    for (const text of [b, c, d, e]) cache.get(text, derive);
    cache.get(a, derive); // derived again (and b, now the oldest, goes)
    assert.deepEqual(calls, [a, b, c, d, e, a]);
  });
});
