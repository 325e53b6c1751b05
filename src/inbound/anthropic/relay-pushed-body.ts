import type { ServerResponse } from 'node:http';
import type { RelayObserver } from '../../observability/request-recorder.js';
import type { UpstreamStreamResponse } from '../../upstream/upstream-stream.js';

/** Backpressure of a relay: stops reading `source` until `response`'s full connection drains. */
export function pauseUntilDrained(response: ServerResponse, source: { pause(): void; resume(): void }): void {
  source.pause();
  response.once('drain', () => source.resume());
}

/**
 * Relays the body of an upstream response pushed by `upstream/upstream-stream.ts` to the caller:
 * each chunk goes to `observer` (the request log) and then to `write`, and `end` follows the last
 * one; an upstream that breaks after the headers went out destroys the response, so the caller
 * sees it. Resolves when the relay ended or the caller went away (the call's signal then aborts
 * the exchange). `write` owns backpressure (it pauses `upstream` while the connection is full).
 */
export function relayPushedBody(
  upstream: UpstreamStreamResponse,
  response: ServerResponse,
  observer: RelayObserver | undefined,
  write: (chunk: Buffer) => void,
  end: () => void,
): Promise<void> {
  return new Promise((resolve) => {
    response.on('close', () => resolve());
    upstream.consume({
      data: (chunk) => {
        observer?.chunk(chunk);
        write(chunk);
      },
      end: () => {
        observer?.end();
        end();
        resolve();
      },
      error: () => {
        response.destroy();
        resolve();
      },
    });
  });
}
