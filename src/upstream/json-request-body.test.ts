import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readSharedFixture, skipWithoutSharedFixtures } from '../testing/fixtures.js';
import { jsonRequestBody, SPLICED_MIN_CHARS, takesLatin1Path } from './json-request-body.js';

/** Asserts the body's bytes are exactly `JSON.stringify`'s text as UTF-8. */
function assertSameAsPlain(value: unknown): void {
  assert.deepEqual(jsonRequestBody(value), Buffer.from(JSON.stringify(value), 'utf8'));
}

describe('jsonRequestBody', () => {
  it('writes non-ASCII text of every UTF-8 length through the Latin-1 copy, byte for byte', () => {
    const cases: unknown[] = [
      { text: 'caf\u00e9 \u2014 na\u00efve \u2192 \ud83e\udd16 done' },
      { a: '\u00e9', b: ['\u2014', 'x\u00e9y', { c: '\ud83d\ude00\ud83d\ude00' }], d: 12.5e3, e: true, f: null, g: -0, h: 1e-7 },
      { escapes: 'line\nbreak "quoted" back\\slash tab\t \u0000 \u001f \u007f \u00e9\n\u2014' },
      { c1: '\u0080\u0085\u009f\u00ff', separators: '\u2028\u2029', bom: '\ufeff', last: '\uffff' },
      { 'k\u00e9y \u2014': ['\u00e9'], '\u{1f916}': { nested: 'v\u00e9' }, 7: 'integer key first', plain: 'ascii' },
      { long: '\u2014 \u00e9 '.repeat(40_000) },
      ['top-level array', '\u00e9', 1, [2, '\u2192']],
      '\u00e9 top-level string \ud83e\udd16',
    ];
    for (const value of cases) {
      assert.equal(takesLatin1Path(value), true, JSON.stringify(value).slice(0, 40));
      assertSameAsPlain(value);
    }
  });

  it('splices long texts in as their JSON literals, in the order JSON.stringify writes them, and again from the cache', () => {
    const long = (seed: string): string => `${seed} "quoted" \\ line\n\t`.repeat(Math.ceil(SPLICED_MIN_CHARS / 10));
    const cases: unknown[] = [
      // all ASCII but long: the copy is taken for the splice alone
      { system: long('ascii'), model: 'gpt-5' },
      // integer-like keys come first in both the original and the copy
      { b: long('b \u2014'), 2: long('two'), a: [long('a'), 'short \u00e9', { deeper: long('deep \ud83e\udd16') }], 1: long('one') },
      // a long text with lone surrogates: its literal escapes them, exactly as JSON.stringify does
      { lone: `${long('x')}\ud800 \udc00 \u00e9`, next: long('y') },
      // exactly as long as the threshold, one short of it, and a long top-level string
      { at: 'x'.repeat(SPLICED_MIN_CHARS), under: '\u00e9'.repeat(SPLICED_MIN_CHARS - 1) },
      long('top-level \u2192'),
      // a long key is copied, not spliced
      { [long('key')]: long('value') },
    ];
    for (const value of cases) {
      assert.equal(takesLatin1Path(value), true, JSON.stringify(value).slice(0, 40));
      assertSameAsPlain(value);
      assertSameAsPlain(value); // the second time, the literals come from the cache
    }
  });

  it('keeps an own __proto__ key, as JSON.stringify does', () => {
    const value: unknown = JSON.parse('{"__proto__": {"text": "\u00e9"}, "schema": {"properties": {"__proto__": {"type": "string"}}}, "long": "' + 'x'.repeat(SPLICED_MIN_CHARS) + '"}');
    assert.equal(takesLatin1Path(value), true);
    assertSameAsPlain(value);
    assert.match(jsonRequestBody(value).toString('utf8'), /"__proto__":\{"text":"\u00e9"\}/);
  });

  it("is exact when the body's own strings read like the placeholder (a lone NUL character)", () => {
    const cases: unknown[] = [
      { nul: '\u0000', long: 'x'.repeat(SPLICED_MIN_CHARS) },
      ['\u0000', 'y'.repeat(SPLICED_MIN_CHARS), '\u0000'],
      { before: 'ends with a quote and a NUL "\u0000', long: '\u00e9'.repeat(SPLICED_MIN_CHARS) },
      { '\u0000': 'a NUL key', long: 'z'.repeat(SPLICED_MIN_CHARS) },
    ];
    for (const value of cases) assertSameAsPlain(value);
  });

  it('drops what JSON.stringify drops: undefined properties, functions; null for them in arrays', () => {
    const value = { a: undefined, b: () => 1, c: [undefined, () => 1, Number.NaN, Infinity], d: '\u00e9', e: { f: undefined } };
    assert.equal(takesLatin1Path(value), true);
    assertSameAsPlain(value);
  });

  it('takes the plain path, with the same bytes, for all-ASCII text, lone surrogates, objects with toJSON and objects that are not plain', () => {
    const cases: unknown[] = [
      { model: 'gpt-5', messages: [{ role: 'user', content: 'ascii only "quoted" \n \u0000' }], stream: true },
      { lone: 'x\ud800y \u00e9' },
      { trailing: '\udc00' },
      { ['key \ud800']: 'v' },
      { when: new Date(0), text: '\u2014' },
      { bytes: Buffer.from('hi') },
      { boxed: new String('\u00e9 boxed') },
      { map: new Map([['k', '\u00e9']]), text: '\u2014' },
      { own: { toJSON: () => '\u00e9 from toJSON' } },
      [{ nested: { deeper: ['\ud83e'] } }],
    ];
    for (const value of cases) {
      assert.equal(takesLatin1Path(value), false, JSON.stringify(value));
      assertSameAsPlain(value);
    }
  });

  it("throws JSON.stringify's own error for a cycle and a BigInt", () => {
    const cyclic: Record<string, unknown> = { text: '\u00e9' };
    cyclic.self = cyclic;
    assert.throws(() => jsonRequestBody(cyclic), /circular/i);
    assert.throws(() => jsonRequestBody({ n: 1n }), /BigInt/);
  });

  it('writes a real Claude Code request exactly', { skip: skipWithoutSharedFixtures() }, () => {
    const body: unknown = JSON.parse(readSharedFixture('claude-code/messages-first-turn.json'));
    assert.match(JSON.stringify(body), /[^\u0000-\u00ff]/, 'the fixture holds text beyond Latin-1');
    assert.equal(takesLatin1Path(body), true);
    assertSameAsPlain(body);
  });
});
