import type { ServerResponse } from 'node:http';
import type { RawUpstreamResponse } from '../../providers/provider.js';
import type { RelayObserver } from '../../observability/request-recorder.js';
import type { UpstreamStreamResponse } from '../../upstream/upstream-stream.js';
import { pauseUntilDrained, relayPushedBody } from './relay-pushed-body.js';
import { errorKindForStatus } from '../../core/errors.js';
import { readBodyText, upstreamErrorMessage } from '../../upstream/upstream-http.js';
import type { AnthropicEventWriter } from './anthropic-stream-encoder.js';

/**
 * Relays an Anthropic-format upstream answer into a response that was already committed as an
 * event stream (status and headers sent with keep-alive pings, see `routing/stream-keepalive.ts`):
 * a success's event bytes are copied as they come (after the pings); an error status, which can
 * no longer be a status line, becomes an Anthropic `error` event built from the upstream's error
 * body. Resolves when the relay ended or the caller went away.
 *
 * @param flushPending writes what the response's writer still holds (pings), before the relayed bytes
 * @param writeEvent the committed stream's event writer (for the `error` event)
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming#error-events
 */
export async function relayIntoCommittedEventStream(
  upstream: RawUpstreamResponse,
  response: ServerResponse,
  flushPending: () => void,
  writeEvent: AnthropicEventWriter,
): Promise<void> {
  if (upstream.statusCode < 200 || upstream.statusCode >= 300) {
    const text = await readBodyText(upstream.body).catch(() => '');
    writeUpstreamErrorEvent(upstream.statusCode, text, writeEvent);
    flushPending();
    response.end();
    return;
  }
  flushPending();
  const body = upstream.body;
  await new Promise<void>((resolve) => {
    body.on('data', (chunk: Buffer) => {
      if (!response.write(chunk)) pauseUntilDrained(response, body);
    });
    body.on('end', () => {
      response.end();
      resolve();
    });
    body.on('error', () => {
      response.destroy();
      resolve();
    });
    response.on('close', () => {
      if (!body.destroyed) body.destroy();
      resolve();
    });
  });
}

/** An upstream error status (and its body) as the Anthropic `error` event of a committed stream. */
function writeUpstreamErrorEvent(status: number, bodyText: string, writeEvent: AnthropicEventWriter): void {
  let type: string = errorKindForStatus(status);
  try {
    const parsed = JSON.parse(bodyText) as { error?: { type?: unknown } };
    if (typeof parsed.error?.type === 'string') type = parsed.error.type;
  } catch {
    // not JSON: the kind of the status stays
  }
  writeEvent('error', { type: 'error', error: { type, message: upstreamErrorMessage(bodyText) } });
}

/**
 * {@link relayIntoCommittedEventStream} for a body pushed by `upstream/upstream-stream.ts`; each
 * relayed chunk (and an error body) also goes to `observer` (the request log).
 */
export async function relayPushedIntoCommittedEventStream(
  upstream: UpstreamStreamResponse,
  response: ServerResponse,
  flushPending: () => void,
  writeEvent: AnthropicEventWriter,
  observer: RelayObserver | undefined,
): Promise<void> {
  if (upstream.statusCode < 200 || upstream.statusCode >= 300) {
    const text = await upstream.text();
    observer?.chunk(Buffer.from(text));
    observer?.end();
    writeUpstreamErrorEvent(upstream.statusCode, text, writeEvent);
    flushPending();
    response.end();
    return;
  }
  flushPending();
  await relayPushedBody(
    upstream,
    response,
    observer,
    (chunk) => {
      if (!response.write(chunk)) pauseUntilDrained(response, upstream);
    },
    () => response.end(),
  );
}
