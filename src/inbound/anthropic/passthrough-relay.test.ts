import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { test } from 'node:test';
import { startMockUpstream } from '../../testing/mock-upstream.js';
import { startTestGateway } from '../../testing/test-gateway.js';

/**
 * The passthrough relay of a large streamed answer to a caller that reads slowly: the gateway
 * pauses reading upstream while the caller's connection is full (undici dispatch, pushed body) and
 * every byte still arrives, in order.
 */
test('passthrough relay: a 6 MB stream to a slow reader arrives complete and in order', async (t) => {
  const pieces: string[] = [];
  for (let index = 0; index < 3000; index += 1) {
    const text = `${String(index).padStart(6, '0')} ${'x'.repeat(2000)}`;
    pieces.push(`event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })}\n\n`);
  }
  const expected = pieces.join('');
  let upstreamWrites = 0;
  const upstream = await startMockUpstream(async (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const piece of pieces) {
      upstreamWrites += 1;
      if (!response.write(piece)) await new Promise((resolve) => response.once('drain', resolve));
    }
    response.end();
  });
  const gateway = await startTestGateway({ providers: { anthropic: { base_url: upstream.url, keys: [{ value: 'sk-ant-test' }] } } });
  t.after(async () => {
    await gateway.close();
    await upstream.close();
  });
  const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'a long answer please' }] });
  const received = await new Promise<string>((resolve, reject) => {
    const outgoing = httpRequest(`${gateway.url}/anthropic/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (incoming) => {
      assert.equal(incoming.statusCode, 200);
      const chunks: Buffer[] = [];
      let paused = 0;
      incoming.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        // read slowly: stop now and then so that the gateway's writes back up
        if (chunks.length % 20 === 0 && paused < 30) {
          paused += 1;
          incoming.pause();
          setTimeout(() => incoming.resume(), 15);
        }
      });
      incoming.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
  assert.equal(upstreamWrites, pieces.length);
  assert.equal(received.length, expected.length);
  assert.ok(received === expected, 'the relayed stream is byte for byte the upstream stream');
});
