import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GatewayRequest, ToolCallPart } from '../core/gateway-request.js';
import type { GatewayResponse } from '../core/gateway-response.js';
import { runMcpAgentLoop } from './run-mcp-agent-loop.js';

const request: GatewayRequest = {
  model: 'gpt-test',
  system: [],
  messages: [{ role: 'user', content: [{ type: 'text', text: 'echo hi' }] }],
  tools: [{ name: 'everything__echo', inputSchema: { type: 'object' } }],
  maxOutputTokens: 100,
  stream: true,
};

function toolUse(name: string, id: string): GatewayResponse {
  return {
    model: 'gpt-test',
    content: [{ type: 'tool-call', id, name, input: { message: 'hi' } }],
    finishReason: 'tool-use',
    usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 },
  };
}

const done: GatewayResponse = {
  model: 'gpt-test',
  content: [{ type: 'text', text: 'The tool said: Echo: hi' }],
  finishReason: 'end-turn',
  usage: { inputTokens: 20, outputTokens: 7, cacheReadTokens: 0, cacheWriteTokens: 0 },
};

describe('runMcpAgentLoop', () => {
  it('runs the gateway tools the model calls and returns the final answer with summed usage', async () => {
    const seen: GatewayRequest[] = [];
    const answers = [toolUse('everything__echo', 'call_1'), done];
    const ran: ToolCallPart[] = [];
    const result = await runMcpAgentLoop(request, {
      maxSteps: 5,
      complete: (next) => {
        seen.push(structuredClone(next));
        return Promise.resolve(answers.shift() ?? done);
      },
      ownsTool: (name) => name === 'everything__echo',
      runTool: (call) => {
        ran.push(call);
        return Promise.resolve({ type: 'tool-result', toolCallId: call.id, content: [{ type: 'text', text: 'Echo: hi' }], isError: false });
      },
    });
    assert.equal(result.steps, 1);
    assert.equal(result.response.finishReason, 'end-turn');
    assert.deepEqual(result.response.usage, { inputTokens: 30, outputTokens: 12, cacheReadTokens: 0, cacheWriteTokens: 0 });
    assert.deepEqual(ran.map((call) => call.id), ['call_1']);
    assert.equal(seen.length, 2);
    assert.ok(seen.every((sent) => sent.stream === false), 'model calls in the loop do not stream');
    const followUp = seen[1].messages;
    assert.equal(followUp.length, 3);
    assert.deepEqual(followUp[2], { role: 'user', content: [{ type: 'tool-result', toolCallId: 'call_1', content: [{ type: 'text', text: 'Echo: hi' }], isError: false }] });
    assert.equal(request.messages.length, 1, 'the caller request is not changed');
  });

  it("returns a turn that calls a tool the gateway does not own to the caller", async () => {
    const result = await runMcpAgentLoop(request, {
      maxSteps: 5,
      complete: () => Promise.resolve(toolUse('Write', 'call_2')),
      ownsTool: (name) => name === 'everything__echo',
      runTool: () => Promise.reject(new Error('must not run')),
    });
    assert.equal(result.steps, 0);
    assert.equal(result.response.finishReason, 'tool-use');
  });

  it('stops after maxSteps rounds', async () => {
    let calls = 0;
    const result = await runMcpAgentLoop(request, {
      maxSteps: 2,
      complete: () => {
        calls += 1;
        return Promise.resolve(toolUse('everything__echo', `call_${calls}`));
      },
      ownsTool: () => true,
      runTool: (call) => Promise.resolve({ type: 'tool-result', toolCallId: call.id, content: [{ type: 'text', text: 'ok' }], isError: false }),
    });
    assert.equal(result.steps, 2);
    assert.equal(calls, 3);
    assert.equal(result.response.finishReason, 'tool-use');
  });
});
