import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes, isShared, SHARED_BYTES_MIN_LENGTH, sharedBytes, textBytes } from './shared-bytes.js';

describe('shared bytes', () => {
  it('makes bodies of 4 KB or more in shared memory, with the same bytes as Buffer.concat and Buffer.from', () => {
    const chunks = [Buffer.from('{"text":"caf\u00e9 '), Buffer.from('x'.repeat(SHARED_BYTES_MIN_LENGTH)), Buffer.from('"}')];
    const length = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const joined = concatBytes(chunks, length);
    assert.ok(isShared(joined));
    assert.deepEqual(joined, Buffer.concat(chunks));

    const text = `\u2014 \ud83e\udd16 ${'y'.repeat(SHARED_BYTES_MIN_LENGTH)}`;
    assert.ok(isShared(textBytes(text, 'utf8')));
    assert.deepEqual(textBytes(text, 'utf8'), Buffer.from(text, 'utf8'));
    const latin1 = `\u00e9${'z'.repeat(SHARED_BYTES_MIN_LENGTH)}`;
    assert.ok(isShared(textBytes(latin1, 'latin1')));
    assert.deepEqual(textBytes(latin1, 'latin1'), Buffer.from(latin1, 'latin1'));
  });

  it('leaves smaller bodies in ordinary memory, measuring UTF-8 text by its bytes', () => {
    assert.equal(isShared(concatBytes([Buffer.from('a'), Buffer.from('b')], 2)), false);
    assert.equal(isShared(textBytes('x'.repeat(SHARED_BYTES_MIN_LENGTH - 1), 'latin1')), false);
    // 1,500 characters of three UTF-8 bytes each: 4,500 bytes, shared; 1,500 ASCII characters are not.
    assert.ok(isShared(textBytes('\u2014'.repeat(1_500), 'utf8')));
    assert.equal(isShared(textBytes('a'.repeat(1_500), 'utf8')), false);
    assert.deepEqual(textBytes('\u2014'.repeat(1_500), 'utf8'), Buffer.from('\u2014'.repeat(1_500), 'utf8'));
  });

  it('gives zero-filled shared memory of the length asked', () => {
    const bytes = sharedBytes(10);
    assert.equal(bytes.length, 10);
    assert.ok(bytes.every((byte) => byte === 0));
    assert.ok(isShared(bytes));
  });
});
