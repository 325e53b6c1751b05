import type { EventId, EventStore, StreamId } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/**
 * Resumability of `/mcp` SSE streams: the last messages of one session, kept in memory so that a
 * client reconnecting with `Last-Event-ID` gets what it missed. Bounded: the oldest events go
 * first once `capacity` is reached.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#resumability-and-redelivery
 */
export class McpInMemoryEventStore implements EventStore {
  private readonly events = new Map<EventId, { streamId: StreamId; message: JSONRPCMessage }>();
  private counter = 0;

  constructor(private readonly capacity = 500) {}

  storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    this.counter += 1;
    const eventId = `${streamId}_${this.counter}`;
    this.events.set(eventId, { streamId, message });
    while (this.events.size > this.capacity) {
      const oldest = this.events.keys().next().value;
      if (oldest === undefined) break;
      this.events.delete(oldest);
    }
    return Promise.resolve(eventId);
  }

  getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    return Promise.resolve(this.events.get(eventId)?.streamId);
  }

  async replayEventsAfter(lastEventId: EventId, { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> }): Promise<StreamId> {
    const last = this.events.get(lastEventId);
    if (last === undefined) return '';
    let found = false;
    for (const [eventId, event] of this.events) {
      if (eventId === lastEventId) {
        found = true;
        continue;
      }
      if (found && event.streamId === last.streamId) await send(eventId, event.message);
    }
    return last.streamId;
  }
}
