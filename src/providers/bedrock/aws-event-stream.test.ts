import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventStreamFormatError, EventStreamMessageReader, decodeEventStreamMessage, encodeChunkMessage, encodeEventMessage, encodeExceptionMessage } from './aws-event-stream.js';

describe('AWS event stream framing', () => {
  it('round-trips events, chunk events and exceptions with their headers', () => {
    const event = decodeEventStreamMessage(encodeEventMessage('contentBlockDelta', '{"a":1}'));
    assert.equal(event.messageType, 'event');
    assert.equal(event.eventType, 'contentBlockDelta');
    assert.equal(event.body.toString(), '{"a":1}');

    const chunk = decodeEventStreamMessage(encodeChunkMessage('{"type":"ping"}'));
    assert.equal(chunk.eventType, 'chunk');
    const payload = JSON.parse(chunk.body.toString()) as { bytes: string };
    assert.equal(Buffer.from(payload.bytes, 'base64').toString(), '{"type":"ping"}');

    const exception = decodeEventStreamMessage(encodeExceptionMessage('throttlingException', 'slow down'));
    assert.equal(exception.messageType, 'exception');
    assert.equal(exception.exceptionType, 'throttlingException');
    assert.deepEqual(JSON.parse(exception.body.toString()), { message: 'slow down' });
  });

  it('reassembles messages split at every possible byte boundary', () => {
    const frames = [encodeEventMessage('messageStart', '{"role":"assistant"}'), encodeEventMessage('contentBlockDelta', '{"delta":{"text":"héllo"}}'), encodeEventMessage('messageStop', '{}')];
    const bytes = Buffer.concat(frames);
    for (let size = 1; size <= bytes.length; size += 1) {
      const reader = new EventStreamMessageReader();
      const types: string[] = [];
      for (let offset = 0; offset < bytes.length; offset += size) {
        for (const message of reader.push(bytes.subarray(offset, offset + size))) types.push(message.eventType ?? '');
      }
      assert.deepEqual(types, ['messageStart', 'contentBlockDelta', 'messageStop'], `pieces of ${size} bytes`);
      assert.equal(reader.pendingBytes, 0);
    }
  });

  it('keeps an unfinished message pending and refuses corrupted bytes', () => {
    const frame = encodeEventMessage('x', '{}');
    const reader = new EventStreamMessageReader();
    assert.deepEqual(reader.push(frame.subarray(0, frame.length - 3)), []);
    assert.equal(reader.pendingBytes, frame.length - 3);

    const corrupted = Buffer.from(frame);
    corrupted[corrupted.length - 6] ^= 0xff;
    assert.throws(() => new EventStreamMessageReader().push(corrupted), EventStreamFormatError);
    assert.throws(() => new EventStreamMessageReader().push(Buffer.from([0, 0, 0, 3, 0, 0, 0, 0])), /out of range/);
  });
});
