import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JsonArrayElementSplitter } from './observe-gemini-relay.js';

const elements = [
  { candidates: [{ content: { parts: [{ text: 'a } ] { [ "quoted" \\ backslash' }] } }] },
  { usageMetadata: { promptTokenCount: 3 }, nested: [[1, 2], { deep: ['}'] }] },
  { text: 'ünïcødé ✓' },
];
const streamed = `[${elements.map((element) => JSON.stringify(element)).join('\r\n,')}\r\n]`;

test('a streamed JSON array is split into its elements, however the text is cut', () => {
  for (const pieceLength of [1, 2, 7, streamed.length]) {
    const seen: unknown[] = [];
    const splitter = new JsonArrayElementSplitter((text) => seen.push(JSON.parse(text)));
    for (let start = 0; start < streamed.length; start += pieceLength) splitter.feed(streamed.slice(start, start + pieceLength));
    assert.deepEqual(seen, elements, `pieces of ${pieceLength}`);
  }
});

test('elements are handed over as soon as they are complete', () => {
  const seen: unknown[] = [];
  const splitter = new JsonArrayElementSplitter((text) => seen.push(JSON.parse(text)));
  splitter.feed(`[${JSON.stringify(elements[0])}\r\n,{"usageMetadata":`);
  assert.deepEqual(seen, [elements[0]]);
});
