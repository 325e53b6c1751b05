import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createParser } from 'eventsource-parser';
import { SseEventParser } from './sse-event-parser.js';

type ParsedEvent = [name: string | undefined, data: string];

function parseInPieces(text: string, cuts: number[]): ParsedEvent[] {
  const events: ParsedEvent[] = [];
  const parser = new SseEventParser((name, data) => events.push([name, data]));
  let start = 0;
  for (const cut of [...cuts, text.length]) {
    parser.feed(text.slice(start, cut));
    start = cut;
  }
  parser.end();
  return events;
}

/** What the general-purpose `eventsource-parser` makes of the same text (the reference). */
function reference(text: string): ParsedEvent[] {
  const events: ParsedEvent[] = [];
  const parser = createParser({ onEvent: (event) => events.push([event.event, event.data]) });
  parser.feed(text);
  parser.feed('\n\n');
  return events;
}

const streams: Record<string, string> = {
  'LF lines': 'data: {"a":1}\n\ndata: [DONE]\n\n',
  'CRLF and CR line ends': 'event: ping\r\ndata: one\r\n\r\ndata: two\r\rdata:three\n\n',
  'comments, id, retry and unknown fields': ': keep-alive\n\nid: 7\nretry: 1000\nfoo: bar\ndata: x\n\n',
  'multi-line data and a field without a colon': 'data: first\ndata\ndata:  two spaces\n\n',
  'event names, reset after each event': 'event: error\ndata: {"message":"boom"}\n\ndata: plain\n\nevent:\ndata: unnamed\n\n',
  'an event without data is not dispatched': 'event: lonely\n\ndata: after\n\n',
  'a last event without its blank line': 'data: {"a":1}\n\ndata: {"b":2}',
  'a last line without its line end': 'data: tail',
  'multi-byte text': 'data: Grüße, 世界 👋\n\n',
};

describe('SseEventParser', () => {
  for (const [name, text] of Object.entries(streams)) {
    it(`${name}: same events as eventsource-parser, wherever the text is cut`, () => {
      const expected = reference(text);
      assert.deepEqual(parseInPieces(text, []), expected, 'whole');
      for (let cut = 1; cut < text.length; cut += 1) assert.deepEqual(parseInPieces(text, [cut]), expected, `cut at ${cut}`);
      const everyCharacter = Array.from({ length: text.length - 1 }, (_, index) => index + 1);
      assert.deepEqual(parseInPieces(text, everyCharacter), expected, 'one character at a time');
    });
  }

  it('reads the cases above as the event-stream rules say', () => {
    assert.deepEqual(parseInPieces(streams['CRLF and CR line ends'], []), [
      ['ping', 'one'],
      [undefined, 'two'],
      [undefined, 'three'],
    ]);
    assert.deepEqual(parseInPieces(streams['multi-line data and a field without a colon'], []), [[undefined, 'first\n\n two spaces']]);
    assert.deepEqual(parseInPieces(streams['event names, reset after each event'], []), [
      ['error', '{"message":"boom"}'],
      [undefined, 'plain'],
      [undefined, 'unnamed'],
    ]);
    assert.deepEqual(parseInPieces(streams['an event without data is not dispatched'], []), [[undefined, 'after']]);
    // eventsource-parser looks for the BOM's UTF-8 bytes as characters, so it misses a decoded U+FEFF.
    assert.deepEqual(parseInPieces('\uFEFFdata: bom\n\n', []), [[undefined, 'bom']]);
    assert.deepEqual(parseInPieces('\uFEFFdata: bom\n\n', [1]), [[undefined, 'bom']]);
  });

  it('stops at an error thrown by the event handler', () => {
    const seen: string[] = [];
    const parser = new SseEventParser((_name, data) => {
      seen.push(data);
      if (data === 'stop') throw new Error('handler failed');
    });
    assert.throws(() => parser.feed('data: go\n\ndata: stop\n\ndata: never\n\n'), /handler failed/);
    assert.deepEqual(seen, ['go', 'stop']);
  });
});
