import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DroppedFieldLog } from '../../core/dropped-fields.js';
import { GatewayError } from '../../core/errors.js';
import { readSharedFixture, skipWithoutSharedFixtures } from '../../testing/fixtures.js';
import { parseAnthropicRequest } from './parse-anthropic-request.js';

function parse(body: unknown, options: { cloudBody?: boolean; countTokens?: boolean } = {}) {
  const dropped = new DroppedFieldLog();
  return { request: parseAnthropicRequest(body, dropped, options), dropped: dropped.entries };
}

function assertInvalid(body: unknown, expectedMessage: string): void {
  assert.throws(
    () => parse(body),
    (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.kind, 'invalid_request_error');
      assert.equal(error.status, 400);
      assert.equal(error.message, expectedMessage);
      return true;
    },
  );
}

const minimal = { model: 'openai/gpt-test', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] };

describe('parseAnthropicRequest', () => {
  it('parses a minimal request with string content', () => {
    const { request, dropped } = parse(minimal);
    assert.equal(request.model, 'openai/gpt-test');
    assert.equal(request.maxOutputTokens, 100);
    assert.equal(request.stream, false);
    assert.deepEqual(request.system, []);
    assert.deepEqual(request.messages, [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
    assert.deepEqual(dropped, []);
  });

  it('keeps system blocks, cache_control, tools, tool_choice, thinking, effort, metadata and stop sequences', () => {
    const { request } = parse({
      ...minimal,
      stream: true,
      system: [
        { type: 'text', text: 'You are helpful.' },
        { type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral', ttl: '1h' } },
      ],
      tools: [{ name: 'Read', description: 'Read a file', input_schema: { type: 'object', properties: { file_path: { type: 'string' } } } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      thinking: { type: 'enabled', budget_tokens: 2048 },
      output_config: { effort: 'medium' },
      metadata: { user_id: 'user-1' },
      stop_sequences: ['END'],
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
    });
    assert.equal(request.stream, true);
    assert.deepEqual(request.system, [
      { type: 'text', text: 'You are helpful.' },
      { type: 'text', text: 'Be brief.', cacheControl: { type: 'ephemeral', ttl: '1h' } },
    ]);
    assert.deepEqual(request.tools, [
      { name: 'Read', description: 'Read a file', inputSchema: { type: 'object', properties: { file_path: { type: 'string' } } } },
    ]);
    assert.deepEqual(request.toolChoice, { type: 'required' });
    assert.equal(request.parallelToolCalls, false);
    assert.deepEqual(request.reasoning, { mode: 'enabled', budgetTokens: 2048 });
    assert.equal(request.effort, 'medium');
    assert.equal(request.user, 'user-1');
    assert.deepEqual(request.stopSequences, ['END']);
    assert.equal(request.temperature, 0.5);
    assert.equal(request.topP, 0.9);
    assert.equal(request.topK, 40);
  });

  it('parses a tool round trip with images, is_error, thinking and a mid-conversation system message', () => {
    const { request } = parse({
      ...minimal,
      messages: [
        { role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } }, { type: 'text', text: 'Look' }] },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'I should read it.', signature: 'sig-1' },
            { type: 'redacted_thinking', data: 'opaque' },
            { type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: '/a' } },
          ],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'toolu_1',
              is_error: true,
              content: [
                { type: 'text', text: 'not found' },
                { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
              ],
            },
          ],
        },
        { role: 'system', content: 'The user changed directory.' },
      ],
    });
    assert.deepEqual(request.messages, [
      {
        role: 'user',
        content: [
          { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBOR' } },
          { type: 'text', text: 'Look' },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'I should read it.', signature: 'sig-1' },
          { type: 'redacted-reasoning', data: 'opaque' },
          { type: 'tool-call', id: 'toolu_1', name: 'Read', input: { file_path: '/a' } },
        ],
      },
      {
        role: 'user',
        content: [
          {
            type: 'tool-result',
            toolCallId: 'toolu_1',
            isError: true,
            content: [
              { type: 'text', text: 'not found' },
              { type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } },
            ],
          },
        ],
      },
      { role: 'system', content: [{ type: 'text', text: 'The user changed directory.' }] },
    ]);
  });

  it('records what it drops: server tools, server-side blocks, context_management', () => {
    const { request, dropped } = parse({
      ...minimal,
      tools: [
        { type: 'web_search_20250305', name: 'web_search' },
        { name: 'Read', input_schema: { type: 'object' } },
      ],
      context_management: { edits: [] },
      messages: [
        { role: 'user', content: 'search' },
        { role: 'assistant', content: [{ type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} }] },
      ],
    });
    assert.deepEqual(
      request.tools.map((tool) => tool.name),
      ['Read'],
    );
    assert.deepEqual(
      dropped.map((entry) => entry.field),
      ['messages.1.content.0', 'tools.0', 'context_management'],
    );
  });

  it('names the bad field in Anthropic wording', () => {
    assertInvalid({ ...minimal, max_tokens: undefined }, 'max_tokens: Field required');
    assertInvalid({ ...minimal, max_tokens: 0 }, 'max_tokens: Input should be greater than or equal to 1');
    assertInvalid({ ...minimal, unknown_field: 1 }, 'unknown_field: Extra inputs are not permitted');
    assertInvalid({ ...minimal, messages: 'hi' }, 'messages: Input should be a valid list');
    assertInvalid({ ...minimal, messages: [{ role: 'user', content: [{ type: 'text' }] }] }, 'messages.0.content.0.text: Field required');
    assertInvalid({ ...minimal, messages: [{ role: 'bot', content: 'x' }] }, "messages.0.role: Input should be 'user', 'assistant' or 'system'");
    assertInvalid(
      { ...minimal, messages: [{ role: 'user', content: [{ type: 'video' }] }] },
      "messages.0.content.0.type: Input tag 'video' is not a valid content block type for a user message",
    );
    assertInvalid({ ...minimal, temperature: 2 }, 'temperature: Input should be between 0 and 1');
    assertInvalid({ ...minimal, thinking: { type: 'enabled' } }, 'thinking.budget_tokens: Field required');
    assertInvalid({ ...minimal, tool_choice: { type: 'tool' } }, 'tool_choice.name: Field required');
    assertInvalid([], 'Input should be a valid dictionary or object');
  });

  it('accepts count_tokens bodies without max_tokens', () => {
    const { request } = parse({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }, { countTokens: true });
    assert.equal(request.messages.length, 1);
  });

  it('parses real Claude Code requests', { skip: skipWithoutSharedFixtures() }, () => {
    const firstTurn = JSON.parse(readSharedFixture('claude-code/messages-first-turn.json')) as Record<string, unknown>;
    const { request } = parse(firstTurn, { cloudBody: true });
    assert.equal(request.tools.length, (firstTurn.tools as unknown[]).length);
    assert.ok(request.system.some((part) => part.cacheControl !== undefined));
    assert.deepEqual(request.reasoning, { mode: 'enabled', budgetTokens: 31999 });

    const title = JSON.parse(readSharedFixture('claude-code/messages-title.json')) as Record<string, unknown>;
    const parsedTitle = parse(title).request;
    assert.equal(parsedTitle.responseFormat?.type, 'json-schema');
    assert.equal(parsedTitle.effort, 'high');
    assert.deepEqual(parsedTitle.reasoning, { mode: 'disabled' });

    const afterTool = JSON.parse(readSharedFixture('claude-code/messages-after-tool-result.json')) as Record<string, unknown>;
    const parsed = parse(afterTool);
    assert.deepEqual(
      parsed.request.messages.map((message) => message.role),
      ['user', 'system', 'assistant', 'user'],
    );
    assert.equal(parsed.request.messages[3].content[0].type, 'tool-result');
    assert.deepEqual(
      parsed.dropped.map((entry) => entry.field),
      ['context_management'],
    );
  });
});
