import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sharedFixturesDirectory } from '../testing/fixtures.js';
import { parseJsonUtf8, takesLatin1FastPath } from './parse-json-utf8.js';

/** ASCII filler that lifts a body over the fast path's size threshold. */
const FILLER = 'x'.repeat(40_000);

function plainOutcome(body: Buffer): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(body.toString('utf8')) };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

function fastOutcome(body: Buffer): { value?: unknown; error?: string } {
  try {
    return { value: parseJsonUtf8(body) };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

/** Asserts `parseJsonUtf8` gives exactly what `JSON.parse(body.toString('utf8'))` gives. */
function assertSameAsPlain(body: Buffer): void {
  assert.deepStrictEqual(fastOutcome(body), plainOutcome(body));
}

/** A large body: `{"filler": "xxx…", <inner>}` as raw UTF-8 (or Latin-1 bytes, for invalid UTF-8). */
function padded(inner: string): Buffer {
  return Buffer.from(`{"filler":"${FILLER}",${inner}}`, 'utf8');
}

function paddedBytes(before: string, bytes: number[], after: string): Buffer {
  return Buffer.concat([Buffer.from(`{"filler":"${FILLER}",${before}`, 'latin1'), Buffer.from(bytes), Buffer.from(`${after}}`, 'latin1')]);
}

describe('parseJsonUtf8', () => {
  it('parses non-ASCII text of every UTF-8 length through the fast path, exactly', () => {
    const cases = [
      '"text":"caf\u00e9 \u2014 na\u00efve \u2192 \ud83e\udd16 done"',
      '"a":"\u00e9","b":["\u2014","x\u00e9y",{"c":"\ud83d\ude00\ud83d\ude00"}],"d":12.5e3,"e":true,"f":null',
      '"escapes":"line\\nbreak \\"quoted\\" back\\\\slash tab\\t \\u0000 \\u001f \\u007f \u00e9\\n\u2014"',
      '"start":"\u00e9start","end":"end\u00e9","only":"\u00e9\u00e9\u00e9"',
      '"c1":"\u0085\u009f","separators":"\u2028\u2029","bom inside":"\ufeff"',
      '"__proto__":"\u00e9vil","constructor":"\u2014","toString":["\u00e9"]',
      `"long":"${'\u2014 \u00e9 '.repeat(40_000)}"`,
      `"longer than the shared scratch buffer":"${'\u2014\u00e9 \ud83e\udd16'.repeat(300_000)}","after":"\u00e9"`,
      '"keyed":{"ascii key":"v\u00e9"}',
    ];
    for (const inner of cases) {
      const body = padded(inner);
      assert.equal(takesLatin1FastPath(body), true, inner.slice(0, 40));
      assertSameAsPlain(body);
    }
  });

  it('parses recurring long texts, ASCII or not, exactly from the memo of long texts', () => {
    const system = `You are Claude Code. ${'Follow the rules. '.repeat(100)}`; // long and all ASCII
    const tool = `Reads a file \u2014 ${'paths are absolute. '.repeat(100)}`;
    const body = (turn: string): Buffer => padded(`"system":${JSON.stringify(system)},"tool":${JSON.stringify(tool)},"turn":"${turn} \u00e9"`);
    const first = parseJsonUtf8(body('first')) as Record<string, string>;
    const second = parseJsonUtf8(body('second')) as Record<string, string>;
    assert.equal(first.system, system);
    assert.equal(first.tool, tool);
    assert.equal(second.turn, 'second \u00e9');
    // The second parse finds both texts remembered.
    assert.deepStrictEqual(second, JSON.parse(body('second').toString('utf8')));
  });

  it('keeps an own __proto__ property an own property', () => {
    const value = parseJsonUtf8(padded('"__proto__":"\u00e9"')) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(value, '__proto__')?.value, '\u00e9');
  });

  it('parses non-object top-level values exactly', () => {
    for (const text of [`"${FILLER}\u00e9\u2014"`, `["${FILLER}", "\u00e9", 1, [2, "\u2192"]]`, `  "${FILLER}\ud83e\udd16"  `]) {
      const body = Buffer.from(text, 'utf8');
      assert.equal(takesLatin1FastPath(body), true);
      assertSameAsPlain(body);
    }
  });

  it('falls back, with the same result, for escapes of non-ASCII characters', () => {
    for (const inner of [
      '"a":"\\u00e9 and \u00e9"',
      '"a":"\\u2014 \u2014"',
      '"a":"\\ud83e\\udd16 \ud83e\udd16"',
      '"a":"\\ud800 lone \u00e9"',
      '"a":"\\\\u00e9 is text, \u00e9 is not"',
      '"a":"\\u00E9 upper-case hex \u00e9"',
    ]) {
      const body = padded(inner);
      assert.equal(takesLatin1FastPath(body), false, inner);
      assertSameAsPlain(body);
    }
  });

  it('falls back, with the same result, for non-ASCII object keys', () => {
    for (const inner of ['"cl\u00e9":"valeur \u00e9"', '"nested":{"\u2014":1}', '"list":[{"\ud83e\udd16":"\u00e9"}]']) {
      const body = padded(inner);
      assert.equal(takesLatin1FastPath(body), true);
      assertSameAsPlain(body);
    }
  });

  it('falls back, with the same result, for invalid UTF-8', () => {
    const invalid: number[][] = [[0xc3, 0x28], [0x80], [0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xff]];
    for (const bytes of invalid) {
      const body = paddedBytes('"a":"before ', bytes, ' after"');
      assert.equal(takesLatin1FastPath(body), false, bytes.join(','));
      assertSameAsPlain(body);
    }
  });

  it('throws the plain parse error for bodies that are not JSON', () => {
    for (const text of [
      `{"filler":"${FILLER}","a":"\u00e9",}`,
      `{"filler":"${FILLER}","a":"\u00e9"}\u00e9`,
      `{"filler":"${FILLER}",\u00e9:"x"}`,
      `{"filler":"${FILLER}","a":"\u00e9`,
      `\ufeff{"filler":"${FILLER}","a":"\u00e9"}`,
      `{"filler":"${FILLER}","a":"tab\there \u00e9"}`,
      `{"filler":"${FILLER}","a":\u00a0"nbsp is not whitespace \u00e9"}`,
    ]) {
      const body = Buffer.from(text, 'utf8');
      const outcome = fastOutcome(body);
      assert.ok(outcome.error !== undefined, text.slice(-30));
      assertSameAsPlain(body);
    }
  });

  it('handles deep nesting without recursion', () => {
    const depth = 20_000;
    const body = Buffer.from(`${'['.repeat(depth)}"${FILLER}\u00e9"${']'.repeat(depth)}`, 'utf8');
    assert.equal(takesLatin1FastPath(body), true);
    let value = parseJsonUtf8(body);
    for (let level = 0; level < depth; level += 1) {
      assert.ok(Array.isArray(value) && value.length === 1);
      value = value[0];
    }
    assert.equal(value, `${FILLER}\u00e9`);
  });

  it('matches the plain parse on random documents', () => {
    let state = 20260123;
    const random = (): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
    const pieces = ['a', 'Z', ' ', '"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\u0080', '\u00e9', '\u00ff', '\u0100', '\u2014', '\u2028', '\ufeff', '\ud83e\udd16', '\ud800', '\udfff', '{', ']'];
    const randomString = (): string => Array.from({ length: Math.floor(random() * 12) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
    const randomValue = (depth: number): unknown => {
      const choice = random();
      if (depth > 3 || choice < 0.4) return randomString();
      if (choice < 0.5) return Math.floor(random() * 1e6) / 100;
      if (choice < 0.55) return random() < 0.5;
      if (choice < 0.75) return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(depth + 1));
      const object: Record<string, unknown> = {};
      for (let index = 0; index < Math.floor(random() * 4); index += 1) object[random() < 0.8 ? `k${index}` : randomString()] = randomValue(depth + 1);
      return object;
    };
    let fastPathTaken = 0;
    let plainPathTaken = 0;
    for (let iteration = 0; iteration < 300; iteration += 1) {
      const value = { filler: FILLER, value: randomValue(0) };
      // JSON.stringify escapes only control characters and lone surrogates; also write some
      // non-ASCII characters as escapes, as other serialisers do.
      let text = JSON.stringify(value);
      if (random() < 0.2) text = text.replace(/\u00e9/g, '\\u00e9');
      const body = Buffer.from(text, 'utf8');
      if (takesLatin1FastPath(body)) fastPathTaken += 1;
      else plainPathTaken += 1;
      assertSameAsPlain(body);
    }
    assert.ok(fastPathTaken > 50 && plainPathTaken > 50, `fast path taken ${fastPathTaken} times, plain path ${plainPathTaken} times`);
  });

  it('parses the captured Claude Code requests exactly', { skip: existsSync(join(sharedFixturesDirectory, 'claude-code')) ? false : 'shared fixtures absent' }, () => {
    for (const name of ['messages-first-turn.json', 'messages-after-tool-result.json', 'messages-title.json']) {
      const body = readFileSync(join(sharedFixturesDirectory, 'claude-code', name));
      assertSameAsPlain(body);
    }
    assert.equal(takesLatin1FastPath(readFileSync(join(sharedFixturesDirectory, 'claude-code', 'messages-first-turn.json'))), true);
  });

  it('leaves small and pure-ASCII bodies to the plain parse', () => {
    assert.equal(takesLatin1FastPath(Buffer.from('{"a":"\u00e9"}')), false);
    assert.equal(takesLatin1FastPath(padded('"a":"plain"')), false);
    assertSameAsPlain(Buffer.from('{"a":"\u00e9"}'));
  });
});
