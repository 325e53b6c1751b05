import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BatchedResponseWriter } from './batched-response-writer.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

let handler: Handler = () => undefined;
let server: Server;
let port = 0;

/** One GET on a fresh connection: status, headers and body. */
function get(): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port, path: '/', agent: false }, (incoming) => {
      let body = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => {
        body += chunk;
      });
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body }));
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('BatchedResponseWriter', () => {
  before(async () => {
    server = createServer((request, response) => {
      void handler(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends every chunk in order, strings and buffers, across ticks and loop turns', async () => {
    handler = async (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const writer = new BatchedResponseWriter(response);
      writer.write('event: a\n\n');
      writer.write(Buffer.from('event: b\n\n'));
      await Promise.resolve();
      writer.write('event: c – ünïcode\n\n');
      await new Promise((resolve) => setImmediate(resolve));
      writer.write('event: d\n\n');
      await new Promise((resolve) => setTimeout(resolve, 5));
      writer.write('event: e\n\n');
      writer.end();
    };
    const { status, body } = await get();
    assert.equal(status, 200);
    assert.equal(body, 'event: a\n\nevent: b\n\nevent: c – ünïcode\n\nevent: d\n\nevent: e\n\n');
  });

  it('sends the headers in the same loop turn when no body follows yet', async () => {
    let finish: () => void = () => undefined;
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const writer = new BatchedResponseWriter(response);
      writer.sendHeaders();
      finish = () => {
        writer.write('late\n');
        writer.end();
      };
    };
    // The body is written only once the client has the headers: without them this never ends.
    const body = await new Promise<string>((resolve, reject) => {
      const outgoing = httpRequest({ host: '127.0.0.1', port, path: '/', agent: false }, (incoming) => {
        let text = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (chunk: string) => {
          text += chunk;
        });
        incoming.on('end', () => resolve(text));
        finish();
      });
      outgoing.on('error', reject);
      outgoing.end();
    });
    assert.equal(body, 'late\n');
  });

  it('flushes queued chunks before an end() made by code awaiting something', async () => {
    handler = async (_request, response) => {
      response.writeHead(200);
      const writer = new BatchedResponseWriter(response);
      const failing = (async (): Promise<void> => {
        writer.write('partial\n');
        throw new Error('boom');
      })();
      await failing.catch(() => response.end());
    };
    assert.equal((await get()).body, 'partial\n');
  });

  it('writes a large batch at once and reports a full buffer', async () => {
    let blocked = 0;
    handler = (_request, response) => {
      response.writeHead(200);
      const writer = new BatchedResponseWriter(response, () => {
        blocked += 1;
      });
      for (let index = 0; index < 64; index += 1) writer.write(Buffer.alloc(16 * 1024, 97 + (index % 26)));
      writer.end();
    };
    const { body } = await get();
    assert.equal(body.length, 64 * 16 * 1024);
    assert.equal(body[0], 'a');
    assert.equal(body[body.length - 1], String.fromCharCode(97 + (63 % 26)));
    assert.ok(blocked > 0);
  });

  it('drops what is queued once the response is destroyed', async () => {
    let writesAfterDestroy = 0;
    handler = (_request, response) => {
      response.writeHead(200);
      const writer = new BatchedResponseWriter(response);
      writer.write('x');
      response.destroy();
      writer.write('y');
      writesAfterDestroy += 1;
    };
    await assert.rejects(get());
    assert.equal(writesAfterDestroy, 1);
  });
});
