import { createParser } from 'eventsource-parser';
import { authHeaders, queryString } from './api-client.js';
import type { LogFilter, LogSummary } from './api-types.js';

/**
 * Follows `GET /api/logs/tail` (Server-Sent Events, one `log` event per record as it is written).
 * Read with `fetch` rather than `EventSource` so that an admin bearer token can be sent; the
 * stream is parsed with `eventsource-parser`. Reconnects after `retryMs` when the stream ends.
 * @returns a function that stops following
 */
export function followLogTail(
  filter: LogFilter,
  handlers: { onRecord: (record: LogSummary) => void; onState?: (state: 'connecting' | 'live' | 'error') => void },
  retryMs = 2000,
): () => void {
  const controller = new AbortController();
  let stopped = false;
  const { search: _search, ...liveFilter } = filter; // the tail does not apply full-text search
  const run = async (): Promise<void> => {
    while (!stopped) {
      handlers.onState?.('connecting');
      try {
        const response = await fetch(`/api/logs/tail${queryString({ ...liveFilter })}`, {
          headers: { ...authHeaders(), accept: 'text/event-stream' },
          credentials: 'same-origin',
          signal: controller.signal,
        });
        if (!response.ok || response.body === null) throw new Error(`tail answered ${response.status}`);
        handlers.onState?.('live');
        const parser = createParser({
          onEvent: (event) => {
            if (event.event === 'log') handlers.onRecord(JSON.parse(event.data) as LogSummary);
          },
        });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          parser.feed(value);
        }
      } catch {
        if (stopped) return;
        handlers.onState?.('error');
      }
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  };
  void run();
  return () => {
    stopped = true;
    controller.abort();
  };
}
