/**
 * MCP tools in inference requests (`mcp.inject_tools`, agent mode `x-heimdall-mcp-agent: 1`)
 * through `POST /anthropic/v1/messages`, with `server-everything` (stdio) behind the MCP gateway
 * and scripted mock model upstreams:
 *
 * - injection adds the caller's allowed MCP tools (never twice, never for Claude Code) on the
 *   translation path (OpenAI Chat mock) and the passthrough path (Anthropic mock);
 * - agent mode runs the model's call of `everything__echo` and answers with the model's final text,
 *   non-streaming, and streaming with streaming model calls (both rounds' text reach the caller in
 *   one SSE message, the gateway's own tool call does not, usage is summed).
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { test } from 'node:test';
import { anthropicTextMessage } from '../src/testing/anthropic-sse.js';
import { everythingStdioConfig, waitFor } from '../src/testing/mcp-test-servers.js';
import { startMockUpstream, type RecordedRequest } from '../src/testing/mock-upstream.js';
import { openAiChatCompletion, openAiChatStreamChunks, openAiSseFrame, openAiUsage } from '../src/testing/openai-chat-sse.js';
import { startTestGateway } from '../src/testing/test-gateway.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toolNamesOf(request: RecordedRequest): string[] {
  const json = request.json;
  if (!isRecord(json) || !Array.isArray(json.tools)) return [];
  return json.tools.filter(isRecord).map((tool) => (isRecord(tool.function) ? String(tool.function.name) : String(tool.name)));
}

/**
 * OpenAI Chat mock: echo tool call while none was made, then text quoting the tool result. A
 * streaming request gets the same as SSE, the tool call preceded by "Let me echo that.".
 */
function scriptedModel(request: RecordedRequest, response: ServerResponse): void {
  const json = isRecord(request.json) ? request.json : {};
  const messages = Array.isArray(json.messages) ? json.messages.filter(isRecord) : [];
  const toolMessage = messages.find((message) => message.role === 'tool');
  if (json.stream === true) {
    const chunks =
      toolMessage !== undefined
        ? openAiChatStreamChunks({ model: 'gpt-test', text: `The tool said: ${String(toolMessage.content)}`, usage: openAiUsage(30, 8) })
        : openAiChatStreamChunks({
            model: 'gpt-test',
            text: 'Let me echo that.',
            toolCalls: [{ id: 'call_echo_2', name: 'everything__echo', arguments: JSON.stringify({ message: 'streamed hi' }) }],
            usage: openAiUsage(20, 6),
          });
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.end(`${chunks.map(openAiSseFrame).join('')}data: [DONE]\n\n`);
    return;
  }
  const body =
    toolMessage !== undefined
      ? openAiChatCompletion({ model: 'gpt-test', text: `The tool said: ${String(toolMessage.content)}`, usage: openAiUsage(30, 8) })
      : toolNamesOf(request).includes('everything__echo')
        ? openAiChatCompletion({ model: 'gpt-test', toolCalls: [{ id: 'call_echo_1', name: 'everything__echo', arguments: JSON.stringify({ message: 'hi from the model' }) }], usage: openAiUsage(20, 6) })
        : openAiChatCompletion({ model: 'gpt-test', text: 'no tools offered', usage: openAiUsage(10, 3) });
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

const userTurn = (stream: boolean, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'openai/gpt-test', max_tokens: 200, stream, messages: [{ role: 'user', content: 'please echo' }], ...extra });

test('MCP tools are injected into inference requests and run in agent mode', { timeout: 90_000 }, async () => {
  const openai = await startMockUpstream(scriptedModel);
  const anthropic = await startMockUpstream((request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(anthropicTextMessage({ model: 'claude-sonnet-4-6', text: 'ok' })));
  });
  const gateway = await startTestGateway({
    providers: {
      openai: { base_url: `${openai.url}/v1`, keys: [{ value: 'sk-test' }] },
      anthropic: { base_url: anthropic.url, keys: [{ value: 'sk-ant' }] },
    },
    mcp: {
      inject_tools: true,
      servers: { everything: everythingStdioConfig() },
      access: { 'vk-echo': { everything: ['echo'] } },
    },
  });
  const messagesUrl = `${gateway.url}/anthropic/v1/messages`;
  const headers = { 'content-type': 'application/json', 'x-api-key': 'vk-echo', 'anthropic-version': '2023-06-01' };
  try {
    await waitFor(() => gateway.mcp.manager.get('everything')?.state === 'connected', 60_000, 'server-everything to connect');

    // Injection only: the model's tool call comes back to the caller.
    const injected = await fetch(messagesUrl, { method: 'POST', headers, body: userTurn(false) });
    const injectedBody = (await injected.json()) as { stop_reason: string; content: Array<{ type: string; name?: string }> };
    assert.equal(injected.status, 200, JSON.stringify(injectedBody));
    assert.deepEqual(toolNamesOf(openai.requests[0]), ['everything__echo'], 'exactly the key’s allowed tool is injected');
    assert.equal(injectedBody.stop_reason, 'tool_use');
    assert.equal(injectedBody.content.find((block) => block.type === 'tool_use')?.name, 'everything__echo');

    // Never the same tool twice: a request that already has the tool keeps its own definition only.
    const own = { name: 'everything__echo', description: 'caller-defined', input_schema: { type: 'object' } };
    await fetch(messagesUrl, { method: 'POST', headers, body: userTurn(false, { tools: [own] }) });
    assert.deepEqual(toolNamesOf(openai.requests[1]), ['everything__echo']);

    // Claude Code has its own MCP client: nothing is injected.
    await fetch(messagesUrl, { method: 'POST', headers: { ...headers, 'user-agent': 'claude-cli/2.1.0 (external, cli)' }, body: userTurn(false) });
    assert.deepEqual(toolNamesOf(openai.requests[2]), []);

    // Agent mode: the gateway runs the echo tool and the model answers with its result.
    const agent = await fetch(messagesUrl, { method: 'POST', headers: { ...headers, 'x-heimdall-mcp-agent': '1' }, body: userTurn(false) });
    const agentBody = (await agent.json()) as { stop_reason: string; content: Array<{ type: string; text?: string }>; usage: { input_tokens: number; output_tokens: number } };
    assert.equal(agent.status, 200, JSON.stringify(agentBody));
    assert.equal(agentBody.stop_reason, 'end_turn');
    assert.equal(agentBody.content[0]?.text, 'The tool said: Echo: hi from the model');
    assert.deepEqual(agentBody.usage.output_tokens, 14, 'usage is summed over the rounds');
    const followUp = openai.requests.at(-1);
    assert.ok(followUp !== undefined && isRecord(followUp.json) && Array.isArray(followUp.json.messages));
    assert.ok(followUp.json.messages.some((message) => isRecord(message) && message.role === 'tool' && message.content === 'Echo: hi from the model'));

    // Agent mode for a streaming caller: both rounds stream from the model into one Anthropic SSE message.
    const requestsBefore = openai.requests.length;
    const streamed = await fetch(messagesUrl, { method: 'POST', headers: { ...headers, 'x-heimdall-mcp-agent': '1' }, body: userTurn(true) });
    const events = await streamed.text();
    assert.equal(streamed.status, 200);
    assert.match(streamed.headers.get('content-type') ?? '', /text\/event-stream/);
    assert.equal((events.match(/event: message_start/g) ?? []).length, 1, 'one message');
    const streamedText = [...events.matchAll(/"type":"text_delta","text":"((?:[^"\\]|\\.)*)"/g)].map((match) => JSON.parse(`"${match[1]}"`) as string).join('');
    assert.equal(streamedText, 'Let me echo that.\n\nThe tool said: Echo: streamed hi');
    assert.doesNotMatch(events, /tool_use/, 'the gateway’s own tool call is not shown');
    assert.match(events, /"stop_reason":"end_turn"/);
    assert.match(events, /"output_tokens":14/, 'usage is summed over the rounds');
    const streamedRounds = openai.requests.slice(requestsBefore);
    assert.equal(streamedRounds.length, 2);
    assert.ok(streamedRounds.every((round) => isRecord(round.json) && round.json.stream === true), 'every model call streams');

    // Passthrough (Anthropic provider): the tools are added to the body sent upstream.
    const passthrough = await fetch(messagesUrl, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(passthrough.status, 200);
    const sent = anthropic.requests.at(-1);
    assert.ok(sent !== undefined && isRecord(sent.json) && Array.isArray(sent.json.tools));
    assert.deepEqual(sent.json.tools, [{ name: 'everything__echo', description: 'Echoes back the input string', input_schema: gateway.mcp.manager.index.tools.get('everything__echo')?.tool.inputSchema }]);
  } finally {
    await gateway.close();
    await openai.close();
    await anthropic.close();
  }
});
