import type { AssistantPart, GatewayRequest, ToolCallPart, ToolResultPart } from '../core/gateway-request.js';
import type { FinishReason, Usage } from '../core/gateway-response.js';
import type { StreamEvent, StreamEventSink } from '../core/stream-events.js';
import type { ProviderStream } from '../providers/provider.js';

/**
 * Agent mode for a streaming caller, with streaming model calls: every round's text and reasoning
 * reach the caller as the model produces them, the gateway runs the model's calls of its own
 * (injected MCP) tools between rounds, and the caller gets one message whose end is the last
 * round's (its tool calls — of tools the gateway does not own — its stop reason) with the usage
 * summed over the rounds. The gateway's own tool calls are not shown; texts of successive rounds
 * are separated by a blank line. Rounds follow the same rules as `runMcpAgentLoop` (`run-mcp-agent-loop.ts`): a
 * round that also calls a tool the gateway does not own, or the round after `maxSteps` tool
 * rounds, ends the loop.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/server/tools#calling-tools
 */

export interface McpAgentStreamOptions {
  maxSteps: number;
  /** Starts one streaming model call (resolves once the upstream answered, as `ChatClient.stream`). */
  stream(request: GatewayRequest): Promise<ProviderStream>;
  ownsTool(name: string): boolean;
  /** Runs one tool call. Never rejects for a tool failure: that is an `isError` result. */
  runTool(call: ToolCallPart): Promise<ToolResultPart>;
}

const ZERO_USAGE: Usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };

/** One round's events gathered into its assistant turn. */
class RoundCollector {
  readonly content: AssistantPart[] = [];
  /** Within a round a later usage event restates a field (as the Anthropic encoder reads them). */
  readonly usage: Usage = { ...ZERO_USAGE };
  finish: Extract<StreamEvent, { type: 'finish' }> | undefined;
  readonly toolEvents: StreamEvent[] = [];
  private readonly toolArguments = new Map<number, { part: ToolCallPart; json: string }>();

  add(event: StreamEvent): void {
    const last = this.content.at(-1);
    switch (event.type) {
      case 'response-metadata':
        return;
      case 'text-delta':
        if (last?.type === 'text') last.text += event.text;
        else this.content.push({ type: 'text', text: event.text });
        return;
      case 'reasoning-delta':
        if (last?.type === 'reasoning') last.text += event.text;
        else this.content.push({ type: 'reasoning', text: event.text });
        return;
      case 'reasoning-signature': {
        const reasoning = [...this.content].reverse().find((part) => part.type === 'reasoning');
        if (reasoning?.type === 'reasoning') reasoning.signature = event.signature;
        return;
      }
      case 'redacted-reasoning':
        this.content.push({ type: 'redacted-reasoning', data: event.data });
        return;
      case 'tool-call-start': {
        const part: ToolCallPart = { type: 'tool-call', id: event.id, name: event.name, input: {} };
        this.content.push(part);
        this.toolArguments.set(event.index, { part, json: '' });
        this.toolEvents.push(event);
        return;
      }
      case 'tool-call-delta': {
        const entry = this.toolArguments.get(event.index);
        if (entry !== undefined) entry.json += event.argumentsDelta;
        this.toolEvents.push(event);
        return;
      }
      case 'usage':
        if (event.usage.inputTokens !== undefined) this.usage.inputTokens = event.usage.inputTokens;
        if (event.usage.outputTokens !== undefined) this.usage.outputTokens = event.usage.outputTokens;
        if (event.usage.cacheReadTokens !== undefined) this.usage.cacheReadTokens = event.usage.cacheReadTokens;
        if (event.usage.cacheWriteTokens !== undefined) this.usage.cacheWriteTokens = event.usage.cacheWriteTokens;
        if (event.usage.reasoningTokens !== undefined) this.usage.reasoningTokens = event.usage.reasoningTokens;
        return;
      case 'finish':
        this.finish = event;
        return;
      default: {
        const unreachable: never = event;
        throw new Error(`unknown stream event ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** The round's tool calls with their arguments parsed (`{}` when the model sent no valid JSON object). */
  toolCalls(): ToolCallPart[] {
    for (const { part, json } of this.toolArguments.values()) {
      try {
        part.input = json.trim() === '' ? {} : (JSON.parse(json) as unknown);
      } catch {
        part.input = {};
      }
    }
    return this.content.filter((part): part is ToolCallPart => part.type === 'tool-call');
  }

  get finishReason(): FinishReason {
    return this.finish?.reason ?? 'end-turn';
  }
}

function addUsage(total: Usage, more: Usage): Usage {
  return {
    inputTokens: total.inputTokens + more.inputTokens,
    outputTokens: total.outputTokens + more.outputTokens,
    cacheReadTokens: total.cacheReadTokens + more.cacheReadTokens,
    cacheWriteTokens: total.cacheWriteTokens + more.cacheWriteTokens,
    ...(total.reasoningTokens === undefined && more.reasoningTokens === undefined ? {} : { reasoningTokens: (total.reasoningTokens ?? 0) + (more.reasoningTokens ?? 0) }),
  };
}

/**
 * Starts the first model call (so that a failure before any content can still fail over, as a
 * plain stream) and returns the stream of the whole loop. `request` is not changed.
 * @throws what `options.stream` throws for the first call; later rounds' failures reject `pipeTo`
 */
export async function streamMcpAgentLoop(request: GatewayRequest, options: McpAgentStreamOptions): Promise<ProviderStream> {
  const conversation: GatewayRequest = { ...request, messages: [...request.messages], stream: true };
  const first = await options.stream(conversation);
  return {
    async pipeTo(sink: StreamEventSink): Promise<void> {
      let current = first;
      let usage: Usage = { ...ZERO_USAGE };
      let steps = 0;
      let textSent = false;
      for (let round = 0; ; round += 1) {
        const collector = new RoundCollector();
        let roundText = false;
        await current.pipeTo({
          event: (event) => {
            collector.add(event);
            switch (event.type) {
              case 'response-metadata':
                if (round === 0) sink.event(event);
                return;
              case 'text-delta':
                if (!roundText && textSent) sink.event({ type: 'text-delta', text: '\n\n' });
                roundText = true;
                textSent = true;
                sink.event(event);
                return;
              case 'reasoning-delta':
              case 'reasoning-signature':
              case 'redacted-reasoning':
                sink.event(event);
                return;
              case 'tool-call-start':
              case 'tool-call-delta':
              case 'usage':
              case 'finish':
                return;
              default: {
                const unreachable: never = event;
                throw new Error(`unknown stream event ${JSON.stringify(unreachable)}`);
              }
            }
          },
        });
        usage = addUsage(usage, collector.usage);
        const calls = collector.toolCalls();
        const runsTools = collector.finishReason === 'tool-use' && calls.length > 0 && calls.every((call) => options.ownsTool(call.name)) && steps < options.maxSteps;
        if (!runsTools) {
          for (const event of collector.toolEvents) sink.event(event);
          sink.event({ type: 'usage', usage });
          const finish = collector.finish;
          sink.event({ type: 'finish', reason: collector.finishReason, ...(finish?.stopSequence === undefined ? {} : { stopSequence: finish.stopSequence }) });
          return;
        }
        const results = await Promise.all(calls.map((call) => options.runTool(call)));
        conversation.messages.push({ role: 'assistant', content: collector.content }, { role: 'user', content: results });
        steps += 1;
        current = await options.stream(conversation);
      }
    },
  };
}
