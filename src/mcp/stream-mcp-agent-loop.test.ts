import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GatewayRequest, ToolCallPart } from '../core/gateway-request.js';
import type { StreamEvent } from '../core/stream-events.js';
import type { ProviderStream } from '../providers/provider.js';
import { streamMcpAgentLoop } from './stream-mcp-agent-loop.js';

const request: GatewayRequest = {
  model: 'gpt-test',
  system: [],
  messages: [{ role: 'user', content: [{ type: 'text', text: 'echo hi' }] }],
  tools: [{ name: 'everything__echo', inputSchema: { type: 'object' } }],
  maxOutputTokens: 100,
  stream: true,
};

function streamOf(events: StreamEvent[]): ProviderStream {
  return {
    pipeTo: (sink) => {
      for (const event of events) sink.event(event);
      return Promise.resolve();
    },
  };
}

function toolRound(name: string, id: string, text?: string): StreamEvent[] {
  return [
    { type: 'response-metadata', id: `resp-${id}`, model: 'gpt-test' },
    ...(text === undefined ? [] : [{ type: 'text-delta', text } as const]),
    { type: 'tool-call-start', index: 0, id, name },
    { type: 'tool-call-delta', index: 0, argumentsDelta: '{"message":' },
    { type: 'tool-call-delta', index: 0, argumentsDelta: '"hi"}' },
    { type: 'usage', usage: { inputTokens: 10 } },
    { type: 'usage', usage: { outputTokens: 5 } },
    { type: 'finish', reason: 'tool-use' },
  ];
}

const finalRound: StreamEvent[] = [
  { type: 'response-metadata', id: 'resp-final', model: 'gpt-test' },
  { type: 'text-delta', text: 'The tool said: ' },
  { type: 'text-delta', text: 'Echo: hi' },
  { type: 'usage', usage: { inputTokens: 20, outputTokens: 7 } },
  { type: 'finish', reason: 'end-turn' },
];

async function collect(stream: ProviderStream): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  await stream.pipeTo({ event: (event) => events.push(event) });
  return events;
}

describe('streamMcpAgentLoop', () => {
  it('streams every round’s text, runs the gateway’s tools between rounds unseen, and ends with the summed usage', async () => {
    const rounds = [toolRound('everything__echo', 'call_1', 'Let me check.'), finalRound];
    const seen: GatewayRequest[] = [];
    const ran: ToolCallPart[] = [];
    const stream = await streamMcpAgentLoop(request, {
      maxSteps: 5,
      stream: (next) => {
        seen.push(structuredClone(next));
        return Promise.resolve(streamOf(rounds[seen.length - 1]));
      },
      ownsTool: (name) => name === 'everything__echo',
      runTool: (call) => {
        ran.push(call);
        return Promise.resolve({ type: 'tool-result', toolCallId: call.id, content: [{ type: 'text', text: 'Echo: hi' }], isError: false });
      },
    });
    assert.equal(seen.length, 1, 'the first model call starts before the stream is returned');
    const events = await collect(stream);
    assert.deepEqual(events, [
      { type: 'response-metadata', id: 'resp-call_1', model: 'gpt-test' },
      { type: 'text-delta', text: 'Let me check.' },
      { type: 'text-delta', text: '\n\n' },
      { type: 'text-delta', text: 'The tool said: ' },
      { type: 'text-delta', text: 'Echo: hi' },
      { type: 'usage', usage: { inputTokens: 30, outputTokens: 12, cacheReadTokens: 0, cacheWriteTokens: 0 } },
      { type: 'finish', reason: 'end-turn' },
    ]);
    assert.deepEqual(ran.map((call) => [call.name, call.input]), [['everything__echo', { message: 'hi' }]]);
    assert.deepEqual(seen[1].messages.slice(1), [
      { role: 'assistant', content: [{ type: 'text', text: 'Let me check.' }, { type: 'tool-call', id: 'call_1', name: 'everything__echo', input: { message: 'hi' } }] },
      { role: 'user', content: [{ type: 'tool-result', toolCallId: 'call_1', content: [{ type: 'text', text: 'Echo: hi' }], isError: false }] },
    ]);
    assert.equal(request.messages.length, 1, 'the caller’s request is not changed');
  });

  it('hands a call of a tool the gateway does not own to the caller, and stops after maxSteps rounds', async () => {
    const foreign = await streamMcpAgentLoop(request, {
      maxSteps: 5,
      stream: () => Promise.resolve(streamOf(toolRound('client_tool', 'call_9'))),
      ownsTool: (name) => name === 'everything__echo',
      runTool: () => Promise.reject(new Error('must not run')),
    });
    const events = await collect(foreign);
    assert.deepEqual(
      events.filter((event) => event.type === 'tool-call-start' || event.type === 'finish'),
      [{ type: 'tool-call-start', index: 0, id: 'call_9', name: 'client_tool' }, { type: 'finish', reason: 'tool-use' }],
    );

    let calls = 0;
    let toolRuns = 0;
    const bounded = await streamMcpAgentLoop(request, {
      maxSteps: 2,
      stream: () => {
        calls += 1;
        return Promise.resolve(streamOf(toolRound('everything__echo', `call_${calls}`)));
      },
      ownsTool: () => true,
      runTool: (call) => {
        toolRuns += 1;
        return Promise.resolve({ type: 'tool-result', toolCallId: call.id, content: [], isError: false });
      },
    });
    const last = await collect(bounded);
    assert.equal(calls, 3);
    assert.equal(toolRuns, 2);
    assert.deepEqual(last.at(-1), { type: 'finish', reason: 'tool-use' }, 'the round after the last allowed one goes back as it is');
  });
});
