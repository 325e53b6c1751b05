import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildGatewaySettings } from '../../config/gateway-settings.js';
import { DroppedFieldLog } from '../../core/dropped-fields.js';
import { GatewayError } from '../../core/errors.js';
import type { StreamEvent } from '../../core/stream-events.js';
import { ConverseStreamEncoder } from './converse-stream-encoder.js';
import { encodeConverseResponse } from './encode-converse-response.js';
import { parseConverseRequest } from './parse-converse-request.js';
import { resolveBedrockModel } from './resolve-bedrock-model.js';

describe('Converse request → IR', () => {
  it('reads messages, system, tools, inference settings and model fields', () => {
    const dropped = new DroppedFieldLog();
    const request = parseConverseRequest(
      {
        system: [{ text: 'sys' }, { cachePoint: { type: 'default' } }],
        messages: [
          {
            role: 'user',
            content: [
              { text: 'look' },
              { image: { format: 'png', source: { bytes: 'iVBOR' } } },
              { document: { format: 'md', name: 'notes', source: { bytes: Buffer.from('# hi').toString('base64') } } },
              { video: { format: 'mp4', source: { bytes: 'AAAA' } } },
            ],
          },
          {
            role: 'assistant',
            content: [{ reasoningContent: { reasoningText: { text: 'hmm', signature: 's' } } }, { toolUse: { toolUseId: 't1', name: 'f', input: { a: 1 } } }],
          },
          { role: 'user', content: [{ toolResult: { toolUseId: 't1', status: 'error', content: [{ json: { code: 7 } }] } }, { cachePoint: { type: 'default' } }] },
        ],
        inferenceConfig: { maxTokens: 321, temperature: 0.3, topP: 0.8, stopSequences: ['END'] },
        toolConfig: { tools: [{ toolSpec: { name: 'f', description: 'd', inputSchema: { json: { type: 'object' } } } }], toolChoice: { any: {} } },
        additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 2048 }, top_k: 40, custom_thing: true },
        guardrailConfig: { guardrailIdentifier: 'g', guardrailVersion: '1' },
      },
      dropped,
      true,
    );
    assert.deepEqual(request.system, [{ type: 'text', text: 'sys', cacheControl: { type: 'ephemeral' } }]);
    assert.deepEqual(request.messages[0].content, [
      { type: 'text', text: 'look' },
      { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBOR' } },
      { type: 'document', source: { kind: 'text', mediaType: 'text/markdown', text: '# hi' }, title: 'notes' },
    ]);
    assert.deepEqual(request.messages[1].content, [
      { type: 'reasoning', text: 'hmm', signature: 's' },
      { type: 'tool-call', id: 't1', name: 'f', input: { a: 1 } },
    ]);
    assert.deepEqual(request.messages[2].content, [{ type: 'tool-result', toolCallId: 't1', isError: true, content: [{ type: 'text', text: '{"code":7}' }], cacheControl: { type: 'ephemeral' } }]);
    assert.equal(request.maxOutputTokens, 321);
    assert.equal(request.temperature, 0.3);
    assert.equal(request.topP, 0.8);
    assert.deepEqual(request.stopSequences, ['END']);
    assert.deepEqual(request.tools, [{ name: 'f', description: 'd', inputSchema: { type: 'object' } }]);
    assert.deepEqual(request.toolChoice, { type: 'required' });
    assert.deepEqual(request.reasoning, { mode: 'enabled', budgetTokens: 2048 });
    assert.equal(request.topK, 40);
    assert.equal(request.stream, true);
    assert.deepEqual(dropped.entries.map((entry) => entry.field), ['messages.0.content.3', 'additionalModelRequestFields.custom_thing', 'guardrailConfig']);
  });

  it('refuses malformed requests with 400 naming the field', () => {
    assert.throws(() => parseConverseRequest({ messages: [{ role: 'robot', content: [] }] }, new DroppedFieldLog(), false), (error: unknown) => error instanceof GatewayError && error.status === 400 && /messages\.0\.role/.test(error.message));
    assert.throws(() => parseConverseRequest({ messages: [], bogus: 1 }, new DroppedFieldLog(), false), /bogus: Extra inputs/);
    assert.throws(() => parseConverseRequest({ messages: 'x' }, new DroppedFieldLog(), false), /messages: Input should be a valid list/);
  });
});

describe('IR → Converse response and stream', () => {
  it('encodes a response with tool calls as tool_use and usage with cache counters', () => {
    const body = encodeConverseResponse(
      {
        model: 'm',
        content: [
          { type: 'text', text: 'hi' },
          { type: 'tool-call', id: 'c1', name: 'f', input: { x: 1 } },
        ],
        finishReason: 'end-turn',
        usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 3, cacheWriteTokens: 2 },
      },
      42,
    );
    assert.deepEqual(body, {
      output: { message: { role: 'assistant', content: [{ text: 'hi' }, { toolUse: { toolUseId: 'c1', name: 'f', input: { x: 1 } } }] } },
      stopReason: 'tool_use',
      usage: { inputTokens: 10, outputTokens: 5, totalTokens: 20, cacheReadInputTokens: 3, cacheWriteInputTokens: 2 },
      metrics: { latencyMs: 42 },
    });
  });

  it('streams blocks with indexes, toolUse starts, interleaved tool deltas, stop and metadata', () => {
    const written: Array<[string, Record<string, unknown>]> = [];
    const encoder = new ConverseStreamEncoder((type, payload) => written.push([type, payload]), Date.now());
    const events: StreamEvent[] = [
      { type: 'reasoning-delta', text: 'think' },
      { type: 'reasoning-signature', signature: 'sig' },
      { type: 'text-delta', text: 'Hello' },
      { type: 'tool-call-start', index: 0, id: 'a', name: 'f' },
      { type: 'tool-call-start', index: 1, id: 'b', name: 'g' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: '{}' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"x":1}' },
      { type: 'usage', usage: { inputTokens: 7, outputTokens: 3 } },
      { type: 'finish', reason: 'end-turn' },
    ];
    encoder.start();
    for (const event of events) encoder.event(event);
    encoder.end();
    const withoutLatency = written.map(([type, payload]) => [type, type === 'metadata' ? { usage: payload.usage } : payload]);
    assert.deepEqual(withoutLatency, [
      ['messageStart', { role: 'assistant' }],
      ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'think' } } }],
      ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { signature: 'sig' } } }],
      ['contentBlockStop', { contentBlockIndex: 0 }],
      ['contentBlockDelta', { contentBlockIndex: 1, delta: { text: 'Hello' } }],
      ['contentBlockStop', { contentBlockIndex: 1 }],
      ['contentBlockStart', { contentBlockIndex: 2, start: { toolUse: { toolUseId: 'a', name: 'f' } } }],
      ['contentBlockStart', { contentBlockIndex: 3, start: { toolUse: { toolUseId: 'b', name: 'g' } } }],
      ['contentBlockDelta', { contentBlockIndex: 3, delta: { toolUse: { input: '{}' } } }],
      ['contentBlockDelta', { contentBlockIndex: 2, delta: { toolUse: { input: '{"x":1}' } } }],
      ['contentBlockStop', { contentBlockIndex: 2 }],
      ['contentBlockStop', { contentBlockIndex: 3 }],
      ['messageStop', { stopReason: 'tool_use' }],
      ['metadata', { usage: { inputTokens: 7, outputTokens: 3, totalTokens: 10, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 } }],
    ]);
  });
});

describe('/bedrock model resolution', () => {
  const withBedrock = buildGatewaySettings(
    { providers: { anthropic: { keys: [{ value: 'k' }] }, openai: { type: 'openai-compatible', base_url: 'http://127.0.0.1:9/v1' }, bedrock: { region: 'us-east-1', keys: [{ value: 'b' }] } } },
    {},
  ).providers;
  const withoutBedrock = buildGatewaySettings({ providers: { anthropic: { keys: [{ value: 'k' }] }, openai: { type: 'openai-compatible', base_url: 'http://127.0.0.1:9/v1' } } }, {}).providers;

  it('sends Bedrock ids to a configured Bedrock provider unchanged', () => {
    const target = resolveBedrockModel('us.anthropic.claude-sonnet-4-5-20250929-v1:0', withBedrock);
    assert.equal(target.instance.name, 'bedrock');
    assert.equal(target.model, 'us.anthropic.claude-sonnet-4-5-20250929-v1:0');
    assert.equal(resolveBedrockModel('arn:aws:bedrock:us-east-1:1:application-inference-profile/x', withBedrock).instance.name, 'bedrock');
  });

  it('maps Claude ids to Anthropic names without a Bedrock provider', () => {
    const target = resolveBedrockModel('global.anthropic.claude-haiku-4-5-20251001-v1:0', withoutBedrock);
    assert.equal(target.instance.name, 'anthropic');
    assert.equal(target.model, 'claude-haiku-4-5-20251001');
  });

  it('takes provider/model ids, whichever providers exist', () => {
    for (const providers of [withBedrock, withoutBedrock]) {
      const target = resolveBedrockModel('openai/gpt-test', providers);
      assert.equal(target.instance.name, 'openai');
      assert.equal(target.model, 'gpt-test');
    }
  });

  it('refuses a model nothing serves', () => {
    assert.throws(() => resolveBedrockModel('meta.llama3-3-70b-instruct-v1:0', withoutBedrock), (error: unknown) => error instanceof GatewayError && error.status === 400);
  });
});
