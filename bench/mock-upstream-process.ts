import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { anthropicHttpResponse, notFoundHttpResponse, openAiHttpResponse, unauthorizedHttpResponse } from './mock-responses.js';

/**
 * The bench's mock upstream, run as its own process (`child_process.fork`) so that it does not
 * share an event loop with the gateway or the load generator. It must never be the bottleneck, so
 * it is a bare TCP server with a minimal HTTP/1.1 request reader (keep-alive, pipelining,
 * `content-length` and chunked request bodies, which it skips without buffering) that answers with
 * pre-serialised response bytes in one socket write:
 *
 * - `POST /v1/messages` with `x-api-key: bench` → an Anthropic SSE stream (short text message);
 * - `POST /v1/chat/completions` with `authorization: Bearer bench` → an OpenAI SSE stream (a tool
 *   call with arguments in several deltas, a usage chunk, `[DONE]`);
 * - a wrong credential → 401, anything else → 404 (so routing mistakes show up as non-2xx).
 *
 * Protocol with the parent over IPC: sends `{type:'ready', port}` once listening; answers
 * `{type:'counts'}` with `{type:'counts', counts}` (requests served, by answer).
 */

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const LINE_END = Buffer.from('\r\n', 'latin1');
/** Largest request head accepted, bytes. */
const MAX_HEAD_BYTES = 64 * 1024;

type Mode = 'head' | 'fixed-body' | 'chunk-size' | 'chunk-data' | 'chunk-trailer';
type Answer = 'anthropic' | 'openai' | 'unauthorized' | 'not-found';

const answers: Record<Answer, Buffer> = {
  anthropic: anthropicHttpResponse,
  openai: openAiHttpResponse,
  unauthorized: unauthorizedHttpResponse,
  'not-found': notFoundHttpResponse,
};

const counts: Record<Answer, number> = { anthropic: 0, openai: 0, unauthorized: 0, 'not-found': 0 };

interface RequestHead {
  method: string;
  path: string;
  headers: Map<string, string>;
}

function parseHead(text: string): RequestHead {
  const lines = text.split('\r\n');
  const [method = '', target = ''] = lines[0].split(' ');
  const query = target.indexOf('?');
  const headers = new Map<string, string>();
  for (let index = 1; index < lines.length; index += 1) {
    const line = lines[index];
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { method, path: query === -1 ? target : target.slice(0, query), headers };
}

function chooseAnswer(head: RequestHead): Answer {
  if (head.method === 'POST' && head.path === '/v1/messages') {
    return head.headers.get('x-api-key') === 'bench' ? 'anthropic' : 'unauthorized';
  }
  if (head.method === 'POST' && head.path === '/v1/chat/completions') {
    return head.headers.get('authorization') === 'Bearer bench' ? 'openai' : 'unauthorized';
  }
  return 'not-found';
}

/** Reads the requests of one connection and answers each once its body has been skipped. */
class ConnectionReader {
  private mode: Mode = 'head';
  /** Bytes of an incomplete head or chunk-size/trailer line, kept until the rest arrives. */
  private partial: Buffer | null = null;
  /** Body bytes still to skip (fixed body, or chunk data plus its CRLF). */
  private remaining = 0;
  private answer: Answer = 'not-found';
  private closeAfterAnswer = false;

  constructor(private readonly socket: Socket) {}

  onData(incoming: Buffer): void {
    let chunk = incoming;
    if (this.partial !== null) {
      chunk = Buffer.concat([this.partial, incoming]);
      this.partial = null;
    }
    let offset = 0;
    while (offset < chunk.length) {
      switch (this.mode) {
        case 'head': {
          const end = chunk.indexOf(HEAD_END, offset);
          if (end === -1) return this.keepPartial(chunk, offset);
          const head = parseHead(chunk.toString('latin1', offset, end));
          offset = end + HEAD_END.length;
          this.answer = chooseAnswer(head);
          this.closeAfterAnswer = head.headers.get('connection')?.toLowerCase() === 'close';
          if (head.headers.get('transfer-encoding')?.toLowerCase().includes('chunked') === true) {
            this.mode = 'chunk-size';
          } else {
            this.remaining = Number(head.headers.get('content-length') ?? '0') || 0;
            if (this.remaining === 0) this.respond();
            else this.mode = 'fixed-body';
          }
          break;
        }
        case 'fixed-body':
        case 'chunk-data': {
          const take = Math.min(this.remaining, chunk.length - offset);
          this.remaining -= take;
          offset += take;
          if (this.remaining === 0) {
            if (this.mode === 'fixed-body') this.respond();
            else this.mode = 'chunk-size';
          }
          break;
        }
        case 'chunk-size': {
          const end = chunk.indexOf(LINE_END, offset);
          if (end === -1) return this.keepPartial(chunk, offset);
          const size = Number.parseInt(chunk.toString('latin1', offset, end).split(';')[0], 16);
          offset = end + LINE_END.length;
          if (Number.isNaN(size)) {
            this.socket.destroy();
            return;
          }
          if (size === 0) {
            this.mode = 'chunk-trailer';
          } else {
            this.remaining = size + LINE_END.length;
            this.mode = 'chunk-data';
          }
          break;
        }
        case 'chunk-trailer': {
          const end = chunk.indexOf(LINE_END, offset);
          if (end === -1) return this.keepPartial(chunk, offset);
          const isLastLine = end === offset;
          offset = end + LINE_END.length;
          if (isLastLine) this.respond();
          break;
        }
      }
    }
  }

  private keepPartial(chunk: Buffer, offset: number): void {
    if (chunk.length - offset > MAX_HEAD_BYTES) {
      this.socket.destroy();
      return;
    }
    this.partial = chunk.subarray(offset);
  }

  private respond(): void {
    this.mode = 'head';
    counts[this.answer] += 1;
    this.socket.write(answers[this.answer]);
    if (this.closeAfterAnswer) this.socket.end();
  }
}

const server = createServer({ noDelay: true }, (socket) => {
  const reader = new ConnectionReader(socket);
  socket.on('data', (chunk: Buffer) => reader.onData(chunk));
  socket.on('error', () => socket.destroy());
});

server.listen(0, '127.0.0.1', () => {
  const port = (server.address() as AddressInfo).port;
  process.send?.({ type: 'ready', port });
});

process.on('message', (message: { type?: string }) => {
  if (message.type === 'counts') process.send?.({ type: 'counts', counts: { ...counts } });
});
process.on('disconnect', () => process.exit(0));
