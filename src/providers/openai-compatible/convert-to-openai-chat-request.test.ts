import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DroppedFieldLog } from '../../core/dropped-fields.js';
import type { GatewayRequest } from '../../core/gateway-request.js';
import { deepSeekQuirks } from '../deepseek/deepseek-provider.js';
import { groqQuirks } from '../groq/groq-provider.js';
import { mistralQuirks } from '../mistral/mistral-provider.js';
import { openAIQuirks } from '../openai/openai-provider.js';
import { openRouterQuirks } from '../openrouter/openrouter-provider.js';
import { perplexityQuirks } from '../perplexity/perplexity-provider.js';
import { xaiQuirks } from '../xai/xai-provider.js';
import { convertToOpenAIChatRequest, TOOL_ERROR_PREFIX } from './convert-to-openai-chat-request.js';
import { baseOpenAICompatibleQuirks, type OpenAICompatibleQuirks } from './openai-compatible-quirks.js';

function request(overrides: Partial<GatewayRequest> = {}): GatewayRequest {
  return {
    model: 'test-model',
    system: [],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
    tools: [],
    maxOutputTokens: 1024,
    stream: false,
    ...overrides,
  };
}

function convert(input: GatewayRequest, quirks: OpenAICompatibleQuirks = baseOpenAICompatibleQuirks, maxOutputTokens?: number) {
  const dropped = new DroppedFieldLog();
  const body = convertToOpenAIChatRequest(input, quirks, dropped, { maxOutputTokens });
  return { body, dropped: dropped.entries };
}

const PNG = 'iVBORw0KGgo=';

/** A Claude-Code-like second turn: system blocks, tools, a tool round trip, an error result with an image. */
function claudeCodeRequest(): GatewayRequest {
  return {
    model: 'gpt-5',
    system: [
      { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1' },
      { type: 'text', text: 'You are Claude Code.', cacheControl: { type: 'ephemeral' } },
    ],
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: '<system-reminder>context</system-reminder>' },
          { type: 'text', text: 'take a screenshot and write the file' },
        ],
      },
      { role: 'system', content: [{ type: 'text', text: 'Available agent types: claude' }] },
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'I should call both tools.', signature: 'sig' },
          { type: 'text', text: 'Doing both.' },
          { type: 'tool-call', id: 'toolu_01A', name: 'Screenshot', input: {} },
          { type: 'tool-call', id: 'toolu_01B', name: 'Write', input: { file_path: '/tmp/out.txt', content: 'hi\n' } },
        ],
      },
      {
        role: 'user',
        content: [
          {
            type: 'tool-result',
            toolCallId: 'toolu_01A',
            isError: false,
            content: [
              { type: 'text', text: 'screenshot taken' },
              { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: PNG } },
            ],
          },
          {
            type: 'tool-result',
            toolCallId: 'toolu_01B',
            isError: true,
            content: [{ type: 'text', text: 'permission denied' }],
            cacheControl: { type: 'ephemeral' },
          },
          { type: 'text', text: 'why did that fail?' },
        ],
      },
    ],
    tools: [
      { name: 'Screenshot', description: 'Takes a screenshot', inputSchema: { type: 'object', properties: {} } },
      {
        name: 'Write',
        description: 'Writes a file',
        inputSchema: { type: 'object', properties: { file_path: { type: 'string' }, content: { type: 'string' } }, required: ['file_path'] },
      },
      { name: 'Bash', inputSchema: { type: 'object', properties: { command: { type: 'string' } } }, cacheControl: { type: 'ephemeral' } },
    ],
    toolChoice: { type: 'auto' },
    maxOutputTokens: 64000,
    reasoning: { mode: 'adaptive' },
    effort: 'high',
    user: '{"device_id":"4852d7d270ba188eeeb9c652b7e85db5d03a5990027c18c1d0172a84863abfac","session_id":"97aa2c4d"}',
    stream: true,
  };
}

describe('convertToOpenAIChatRequest', () => {
  it('converts a Claude-Code-like turn for an OpenAI reasoning model', () => {
    const { body, dropped } = convert(claudeCodeRequest(), openAIQuirks);
    assert.deepEqual(body.messages, [
      { role: 'developer', content: 'x-anthropic-billing-header: cc_version=2.1\n\nYou are Claude Code.' },
      { role: 'user', content: '<system-reminder>context</system-reminder>\n\ntake a screenshot and write the file' },
      { role: 'developer', content: 'Available agent types: claude' },
      {
        role: 'assistant',
        content: 'Doing both.',
        tool_calls: [
          { id: 'toolu_01A', type: 'function', function: { name: 'Screenshot', arguments: '{}' } },
          { id: 'toolu_01B', type: 'function', function: { name: 'Write', arguments: '{"file_path":"/tmp/out.txt","content":"hi\\n"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_01A', content: 'screenshot taken\n[image sent in the next user message]' },
      { role: 'tool', tool_call_id: 'toolu_01B', content: `${TOOL_ERROR_PREFIX}permission denied` },
      {
        role: 'user',
        content: [
          { type: 'text', text: '[image from the result of tool call toolu_01A]' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
          { type: 'text', text: 'why did that fail?' },
        ],
      },
    ]);
    assert.deepEqual(body.tools, [
      { type: 'function', function: { name: 'Screenshot', description: 'Takes a screenshot', parameters: { type: 'object', properties: {} } } },
      {
        type: 'function',
        function: {
          name: 'Write',
          description: 'Writes a file',
          parameters: { type: 'object', properties: { file_path: { type: 'string' }, content: { type: 'string' } }, required: ['file_path'] },
        },
      },
      { type: 'function', function: { name: 'Bash', parameters: { type: 'object', properties: { command: { type: 'string' } } } } },
    ]);
    assert.equal(body.tool_choice, 'auto');
    assert.equal(body.max_completion_tokens, 64000);
    assert.equal(body.max_tokens, undefined);
    assert.equal(body.reasoning_effort, 'high');
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.equal(body.user?.length, 64, 'a user id longer than OpenAI allows is replaced by a digest');
    assert.match(body.user ?? '', /^[0-9a-f]{64}$/);
    assert.deepEqual(dropped, [{ field: 'messages[2].content[0]', reason: 'earlier reasoning is not sent back to this provider' }]);
  });

  it('uses the system role, max_tokens and no reasoning control on a plain compatible server', () => {
    const { body, dropped } = convert(claudeCodeRequest(), baseOpenAICompatibleQuirks);
    assert.equal(body.messages[0].role, 'system');
    assert.equal(body.messages[2].role, 'system');
    assert.equal(body.max_tokens, 64000);
    assert.equal(body.reasoning_effort, undefined);
    assert.ok(body.user?.startsWith('{"device_id"'), 'no length limit: the user id is kept');
    assert.deepEqual(
      dropped.map((entry) => entry.field),
      ['messages[2].content[0]', 'thinking', 'output_config.effort'],
    );
  });

  it('keeps a single user text as a plain string and mixed content as parts', () => {
    assert.equal(convert(request()).body.messages[0].content, 'hello');
    const { body } = convert(
      request({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'look' },
              { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.png' } },
            ],
          },
        ],
      }),
    );
    assert.deepEqual(body.messages[0].content, [
      { type: 'text', text: 'look' },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
    ]);
  });

  it('sends documents as text, as PDF file parts where supported, and drops the rest with a note', () => {
    const pdf = { type: 'document' as const, title: 'report.pdf', source: { kind: 'base64' as const, mediaType: 'application/pdf', data: 'JVBERi0=' } };
    const messages: GatewayRequest['messages'] = [
      {
        role: 'user',
        content: [
          { type: 'document', title: 'Notes', source: { kind: 'text', mediaType: 'text/plain', text: 'line one' } },
          pdf,
          { type: 'document', source: { kind: 'url', url: 'https://example.com/a.pdf' } },
          { type: 'document', source: { kind: 'base64', mediaType: 'text/plain', data: Buffer.from('plain file').toString('base64') } },
        ],
      },
    ];
    const openAI = convert(request({ messages }), openAIQuirks);
    assert.deepEqual(openAI.body.messages[0].content, [
      { type: 'text', text: 'Notes\n\nline one' },
      { type: 'file', file: { filename: 'report.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
      { type: 'text', text: '[document omitted: https://example.com/a.pdf]' },
      { type: 'text', text: 'plain file' },
    ]);
    assert.deepEqual(openAI.dropped, [{ field: 'messages[0].content[2]', reason: 'Chat Completions takes no documents by URL' }]);

    const plain = convert(request({ messages }), baseOpenAICompatibleQuirks);
    assert.deepEqual(
      plain.dropped.map((entry) => entry.field),
      ['messages[0].content[1]', 'messages[0].content[2]'],
    );
    const content = plain.body.messages[0].content;
    assert.equal(typeof content, 'string', 'only text is left, so it is one string');
    assert.match(String(content), /\[document "report\.pdf" omitted: this model does not accept application\/pdf files\]/);
  });

  it('drops images for providers without vision, leaving a note in their place', () => {
    const { body, dropped } = convert(claudeCodeRequest(), deepSeekQuirks);
    const tool = body.messages.find((message) => message.role === 'tool' && message.tool_call_id === 'toolu_01A');
    assert.equal(tool?.content, 'screenshot taken\n[image omitted: this model does not accept images]');
    assert.ok(dropped.some((entry) => entry.field === 'messages[3].content[0].content[1]'));
    assert.equal(body.messages.at(-1)?.content, 'why did that fail?');
  });

  it('sends reasoning back as reasoning_content to DeepSeek, empty beside tool calls without reasoning', () => {
    const input = request({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'weather?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: 'Need the tool.' },
            { type: 'tool-call', id: 'call_00_abc', name: 'weather', input: { location: 'Paris' } },
          ],
        },
        { role: 'user', content: [{ type: 'tool-result', toolCallId: 'call_00_abc', isError: false, content: [{ type: 'text', text: 'sunny' }] }] },
        { role: 'assistant', content: [{ type: 'tool-call', id: 'call_00_def', name: 'weather', input: { location: 'Rome' } }] },
        { role: 'user', content: [{ type: 'tool-result', toolCallId: 'call_00_def', isError: false, content: [{ type: 'text', text: 'rain' }] }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Paris sunny, Rome rain.' }] },
      ],
      tools: [{ name: 'weather', inputSchema: { type: 'object' } }],
      reasoning: { mode: 'adaptive' },
      effort: 'max',
    });
    const { body, dropped } = convert(input, deepSeekQuirks);
    const assistants = body.messages.filter((message) => message.role === 'assistant');
    assert.deepEqual(assistants[0], {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_00_abc', type: 'function', function: { name: 'weather', arguments: '{"location":"Paris"}' } }],
      reasoning_content: 'Need the tool.',
    });
    assert.equal(assistants[1].reasoning_content, '');
    assert.equal(assistants[2].reasoning_content, undefined, 'no tool calls and no reasoning: nothing to send back');
    assert.deepEqual(body.thinking, { type: 'enabled' });
    assert.equal(body.reasoning_effort, 'max');
    assert.equal(body.parallel_tool_calls, undefined);
    assert.deepEqual(dropped, []);
  });

  it('drops reasoning for Groq, which rejects reasoning_content on assistant messages', () => {
    const { body, dropped } = convert(
      request({
        model: 'openai/gpt-oss-120b',
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'hi' }] },
          { role: 'assistant', content: [{ type: 'reasoning', text: 'thinking' }, { type: 'text', text: 'hello' }] },
          { role: 'user', content: [{ type: 'text', text: 'again' }] },
        ],
        reasoning: { mode: 'enabled', budgetTokens: 10_000 },
      }),
      groqQuirks,
    );
    assert.deepEqual(body.messages[1], { role: 'assistant', content: 'hello' });
    assert.equal(body.reasoning_effort, 'medium', 'a 10,000-token budget reads as medium effort');
    assert.equal(body.max_completion_tokens, 1024);
    assert.deepEqual(dropped, [{ field: 'messages[1].content[0]', reason: 'earlier reasoning is not sent back to this provider' }]);
  });

  it('skips an assistant turn that only held reasoning the provider cannot take', () => {
    const { body } = convert(
      request({
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'a' }] },
          { role: 'assistant', content: [{ type: 'redacted-reasoning', data: 'xyz' }] },
          { role: 'user', content: [{ type: 'text', text: 'b' }] },
        ],
      }),
    );
    assert.deepEqual(body.messages.map((message) => message.role), ['user', 'user']);
  });

  it('maps every tool choice, with Mistral forcing calls through "any"', () => {
    const tools = [{ name: 'lookup', inputSchema: { type: 'object' } }];
    const choices: Array<[GatewayRequest['toolChoice'], unknown, unknown]> = [
      [{ type: 'auto' }, 'auto', 'auto'],
      [{ type: 'required' }, 'required', 'any'],
      [{ type: 'none' }, 'none', 'none'],
      [{ type: 'tool', name: 'lookup' }, { type: 'function', function: { name: 'lookup' } }, { type: 'function', function: { name: 'lookup' } }],
    ];
    for (const [toolChoice, openAI, mistral] of choices) {
      assert.deepEqual(convert(request({ tools, toolChoice }), openAIQuirks).body.tool_choice, openAI);
      assert.deepEqual(convert(request({ tools, toolChoice }), mistralQuirks).body.tool_choice, mistral);
    }
    assert.equal(convert(request({ toolChoice: { type: 'auto' } })).body.tool_choice, undefined, 'no tools, no tool_choice');
  });

  it('sends parallel_tool_calls:false where supported and logs it elsewhere', () => {
    const tools = [{ name: 'lookup', inputSchema: { type: 'object' } }];
    assert.equal(convert(request({ tools, parallelToolCalls: false }), openAIQuirks).body.parallel_tool_calls, false);
    assert.equal(convert(request({ tools, parallelToolCalls: true }), openAIQuirks).body.parallel_tool_calls, undefined);
    const deepSeek = convert(request({ tools, parallelToolCalls: false }), deepSeekQuirks);
    assert.equal(deepSeek.body.parallel_tool_calls, undefined);
    assert.deepEqual(deepSeek.dropped.map((entry) => entry.field), ['tool_choice.disable_parallel_tool_use']);
  });

  it('clamps the output-token limit to the provider and instance caps', () => {
    const capped: OpenAICompatibleQuirks = { ...baseOpenAICompatibleQuirks, maxOutputTokens: 8192 };
    const byProvider = convert(request({ maxOutputTokens: 64000 }), capped);
    assert.equal(byProvider.body.max_tokens, 8192);
    assert.deepEqual(byProvider.dropped, [{ field: 'max_tokens', reason: "lowered from 64000 to 8192, the provider's limit" }]);
    assert.equal(convert(request({ maxOutputTokens: 64000 }), capped, 4096).body.max_tokens, 4096);
    assert.equal(convert(request({ maxOutputTokens: 100 }), capped, 4096).body.max_tokens, 100);
  });

  it('passes sampling parameters where accepted and drops them where not', () => {
    const sampling = { temperature: 0.3, topP: 0.9, topK: 40 };
    const plain = convert(request({ model: 'gpt-4.1', ...sampling }), openAIQuirks);
    assert.equal(plain.body.temperature, 0.3);
    assert.equal(plain.body.top_p, 0.9);
    assert.equal(plain.body.top_k, undefined);
    assert.deepEqual(plain.dropped.map((entry) => entry.field), ['top_k']);
    const reasoningModel = convert(request({ model: 'o4-mini', ...sampling }), openAIQuirks);
    assert.deepEqual(reasoningModel.dropped.map((entry) => entry.field), ['temperature', 'top_p', 'top_k']);
    assert.equal(convert(request(sampling), openRouterQuirks).body.top_k, 40);
  });

  it('respects stop-sequence limits', () => {
    const stopSequences = ['a', 'b', 'c', 'd', 'e', 'f'];
    const openAI = convert(request({ model: 'gpt-4.1', stopSequences }), openAIQuirks);
    assert.deepEqual(openAI.body.stop, ['a', 'b', 'c', 'd']);
    assert.deepEqual(openAI.dropped, [{ field: 'stop_sequences', reason: 'kept the first 4 of 6: this provider takes at most 4' }]);
    assert.deepEqual(convert(request({ stopSequences }), deepSeekQuirks).body.stop, stopSequences);
    const grok = convert(request({ model: 'grok-4-0709', stopSequences }), xaiQuirks);
    assert.equal(grok.body.stop, undefined, 'Grok reasoning models reject stop');
    assert.deepEqual(grok.dropped.map((entry) => entry.field), ['stop_sequences']);
    assert.deepEqual(convert(request({ model: 'grok-4-1-fast-non-reasoning', stopSequences: ['x'] }), xaiQuirks).body.stop, ['x']);
  });

  it('maps effort levels, budgets and disabled reasoning per provider', () => {
    const effortOf = (quirks: OpenAICompatibleQuirks, overrides: Partial<GatewayRequest>) => convert(request(overrides), quirks).body.reasoning_effort;
    assert.equal(effortOf(openAIQuirks, { model: 'o3', effort: 'max' }), 'high');
    assert.equal(effortOf(openAIQuirks, { model: 'o3', effort: 'low' }), 'low');
    assert.equal(effortOf(openAIQuirks, { model: 'o3', reasoning: { mode: 'enabled', budgetTokens: 2000 } }), 'low');
    assert.equal(effortOf(openAIQuirks, { model: 'o3', reasoning: { mode: 'enabled', budgetTokens: 31999 } }), 'high');
    assert.equal(effortOf(openAIQuirks, { model: 'o3', reasoning: { mode: 'adaptive' } }), undefined, 'adaptive alone leaves the default');
    assert.equal(effortOf(openAIQuirks, { model: 'o3', reasoning: { mode: 'disabled' }, effort: 'high' }), 'low');
    assert.equal(effortOf(openAIQuirks, { model: 'gpt-4.1', effort: 'high' }), undefined);
    assert.equal(effortOf(deepSeekQuirks, { effort: 'max' }), 'max');
    assert.deepEqual(convert(request({ reasoning: { mode: 'disabled' } }), deepSeekQuirks).body.thinking, { type: 'disabled' });
    assert.equal(effortOf(deepSeekQuirks, { reasoning: { mode: 'disabled' } }), undefined);
    assert.equal(effortOf(groqQuirks, { model: 'qwen/qwen3-32b', effort: 'high' }), 'default');
    assert.equal(effortOf(groqQuirks, { model: 'qwen/qwen3-32b', reasoning: { mode: 'disabled' } }), 'none');
    assert.equal(convert(request({ model: 'qwen/qwen3-32b' }), groqQuirks).body.reasoning_format, 'parsed');
    assert.equal(convert(request({ model: 'llama-3.3-70b-versatile' }), groqQuirks).body.reasoning_format, undefined);
    assert.equal(effortOf(xaiQuirks, { model: 'grok-3-mini', effort: 'medium' }), 'high');
    assert.equal(effortOf(xaiQuirks, { model: 'grok-4.3', reasoning: { mode: 'disabled' } }), 'none');
    assert.equal(effortOf(xaiQuirks, { model: 'grok-4-0709', effort: 'high' }), undefined);
    assert.equal(effortOf(mistralQuirks, { model: 'mistral-small-latest', effort: 'low' }), 'high');
  });

  it('uses OpenRouter’s reasoning object and passes cache_control through', () => {
    assert.deepEqual(convert(request({ effort: 'medium' }), openRouterQuirks).body.reasoning, { effort: 'medium' });
    assert.deepEqual(convert(request({ reasoning: { mode: 'enabled', budgetTokens: 12000 } }), openRouterQuirks).body.reasoning, { max_tokens: 12000 });
    assert.deepEqual(convert(request({ reasoning: { mode: 'adaptive' } }), openRouterQuirks).body.reasoning, { enabled: true });
    assert.deepEqual(convert(request({ reasoning: { mode: 'disabled' } }), openRouterQuirks).body.reasoning, { enabled: false });
    const { body } = convert(claudeCodeRequest(), openRouterQuirks);
    assert.deepEqual(body.messages[0], {
      role: 'system',
      content: [
        { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1' },
        { type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } },
      ],
    });
    assert.equal(convert(claudeCodeRequest(), openAIQuirks).body.messages[0].content, 'x-anthropic-billing-header: cc_version=2.1\n\nYou are Claude Code.');
  });

  it('maps tool call ids to 9 alphanumeric characters for Mistral, consistently', () => {
    const { body } = convert(claudeCodeRequest(), mistralQuirks);
    const assistant = body.messages.find((message) => message.role === 'assistant');
    const ids = assistant?.role === 'assistant' ? (assistant.tool_calls ?? []).map((call) => call.id) : [];
    assert.equal(ids.length, 2);
    for (const id of ids) assert.match(id, /^[A-Za-z0-9]{9}$/);
    const toolIds = body.messages.flatMap((message) => (message.role === 'tool' ? [message.tool_call_id] : []));
    assert.deepEqual(toolIds, ids);
    assert.equal(body.stream_options, undefined, 'Mistral rejects stream_options');
    assert.equal(body.user, undefined);
    const kept = convert(
      request({ messages: [{ role: 'assistant', content: [{ type: 'tool-call', id: 'gSIMJiOkT', name: 'x', input: {} }] }], tools: [{ name: 'x', inputSchema: {} }] }),
      mistralQuirks,
    ).body.messages[0];
    assert.equal(kept.role === 'assistant' ? kept.tool_calls?.[0].id : undefined, 'gSIMJiOkT', 'valid Mistral ids are kept');
  });

  it('sends tool history as text and drops tools for Perplexity', () => {
    const { body, dropped } = convert(claudeCodeRequest(), perplexityQuirks);
    assert.equal(body.tools, undefined);
    assert.equal(body.tool_choice, undefined);
    assert.ok(body.messages.every((message) => message.role !== 'tool'));
    const assistant = body.messages.find((message) => message.role === 'assistant');
    assert.match(String(assistant?.content), /\[called tool Write with \{"file_path":"\/tmp\/out.txt","content":"hi\\n"\}\]/);
    const last = body.messages.at(-1);
    assert.equal(last?.role, 'user');
    assert.match(JSON.stringify(last?.content), /\[result of tool call toolu_01B \(failed\)\]\\npermission denied/);
    const fields = dropped.map((entry) => entry.field);
    for (const field of ['tools', 'tool_choice', 'messages[2].content[2]', 'messages[3].content[0]', 'messages[3].content[0].content[1]']) {
      assert.ok(fields.includes(field), `${field} is logged`);
    }
  });

  it('sends the JSON-schema output format, or a JSON-object format with the schema as an instruction', () => {
    const responseFormat = { type: 'json-schema' as const, schema: { type: 'object', properties: { title: { type: 'string' } } } };
    const title = request({ system: [{ type: 'text', text: 'Generate a title.' }], responseFormat });
    assert.deepEqual(convert(title, openAIQuirks).body.response_format, {
      type: 'json_schema',
      json_schema: { name: 'response', schema: responseFormat.schema },
    });
    const deepSeek = convert(title, deepSeekQuirks);
    assert.deepEqual(deepSeek.body.response_format, { type: 'json_object' });
    assert.equal(
      deepSeek.body.messages[0].content,
      `Generate a title.\n\nAnswer with a JSON object only, matching this JSON Schema:\n${JSON.stringify(responseFormat.schema)}`,
    );
    assert.deepEqual(deepSeek.dropped.map((entry) => entry.field), ['output_config.format']);
    const withoutSystem = convert(request({ responseFormat }), deepSeekQuirks).body.messages;
    assert.equal(withoutSystem[0].role, 'system');
  });

  it('drops the user id where unsupported and omits stream_options when not streaming', () => {
    const { body, dropped } = convert(request({ user: 'u1' }), mistralQuirks);
    assert.equal(body.user, undefined);
    assert.deepEqual(dropped, [{ field: 'metadata.user_id', reason: 'this provider takes no end-user identifier' }]);
    assert.equal(convert(request({ user: 'u1' }), openAIQuirks).body.user, 'u1');
    assert.equal(convert(request()).body.stream_options, undefined);
  });
});
