import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DroppedFieldLog } from '../../core/dropped-fields.js';
import type { GatewayRequest } from '../../core/gateway-request.js';
import { converseModelFeatures } from './converse-model-features.js';
import { convertToConverseRequest, converseDocumentName } from './convert-to-converse-request.js';

function request(overrides: Partial<GatewayRequest>): GatewayRequest {
  return { model: 'm', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], tools: [], maxOutputTokens: 100, stream: false, ...overrides };
}

const claude = converseModelFeatures('claude-sonnet-4-5', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0');
const llama = converseModelFeatures('meta.llama3-3-70b-instruct-v1:0', 'meta.llama3-3-70b-instruct-v1:0');
const nova2 = converseModelFeatures('amazon.nova-2-lite-v1:0', 'us.amazon.nova-2-lite-v1:0');
const gptOss = converseModelFeatures('openai.gpt-oss-120b-1:0', 'openai.gpt-oss-120b-1:0');

describe('IR → Converse request', () => {
  it('converts media, tool results with images and errors, reasoning, and cache points', () => {
    const dropped = new DroppedFieldLog();
    const body = convertToConverseRequest(
      request({
        system: [{ type: 'text', text: 'sys', cacheControl: { type: 'ephemeral' } }],
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBOR' } },
              { type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBER' }, title: 'report.pdf' },
              { type: 'document', source: { kind: 'text', mediaType: 'text/plain', text: 'plain' } },
              { type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } },
              { type: 'text', text: 'look', cacheControl: { type: 'ephemeral' } },
            ],
          },
          {
            role: 'assistant',
            content: [
              { type: 'reasoning', text: 'thinking', signature: 'sig' },
              { type: 'reasoning', text: 'unsigned' },
              { type: 'text', text: '' },
              { type: 'tool-call', id: 't1', name: 'shot', input: {} },
            ],
          },
          {
            role: 'user',
            content: [
              {
                type: 'tool-result',
                toolCallId: 't1',
                isError: true,
                content: [
                  { type: 'text', text: 'failed' },
                  { type: 'image', source: { kind: 'base64', mediaType: 'image/jpeg', data: '/9j' } },
                ],
              },
            ],
          },
        ],
      }),
      claude,
      dropped,
    );
    assert.deepEqual(body.system, [{ text: 'sys' }, { cachePoint: { type: 'default' } }]);
    assert.deepEqual(body.messages[0].content, [
      { image: { format: 'png', source: { bytes: 'iVBOR' } } },
      { document: { format: 'pdf', name: 'report pdf 1', source: { bytes: 'JVBER' } } },
      { document: { format: 'txt', name: 'document-2', source: { bytes: Buffer.from('plain').toString('base64') } } },
      { text: 'look' },
      { cachePoint: { type: 'default' } },
    ]);
    assert.deepEqual(body.messages[1].content, [
      { reasoningContent: { reasoningText: { text: 'thinking', signature: 'sig' } } },
      { toolUse: { toolUseId: 't1', name: 'shot', input: {} } },
    ]);
    assert.deepEqual(body.messages[2].content, [
      { toolResult: { toolUseId: 't1', status: 'error', content: [{ text: 'failed' }, { image: { format: 'jpeg', source: { bytes: '/9j' } } }] } },
    ]);
    assert.deepEqual(
      dropped.entries.map((entry) => entry.field),
      ['messages[0].content[3]', 'messages[1].content[1]'],
    );
  });

  it('merges mid-conversation system messages into user turns and keeps roles alternating', () => {
    const body = convertToConverseRequest(
      request({
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'a' }] },
          { role: 'system', content: [{ type: 'text', text: 'note' }] },
          { role: 'user', content: [{ type: 'text', text: 'b' }] },
        ],
      }),
      llama,
      new DroppedFieldLog(),
    );
    assert.deepEqual(body.messages, [{ role: 'user', content: [{ text: 'a' }, { text: 'note' }, { text: 'b' }] }]);
  });

  it('puts cache points only where the model family has prompt caching', () => {
    const body = convertToConverseRequest(request({ system: [{ type: 'text', text: 's', cacheControl: { type: 'ephemeral' } }] }), llama, new DroppedFieldLog());
    assert.deepEqual(body.system, [{ text: 's' }]);
  });

  it('sends reasoning in each family shape, or records it as dropped', () => {
    const thinking = request({ reasoning: { mode: 'enabled', budgetTokens: 8000 }, effort: 'high', topK: 5 });
    assert.deepEqual(convertToConverseRequest(thinking, claude, new DroppedFieldLog()).additionalModelRequestFields, {
      top_k: 5,
      thinking: { type: 'enabled', budget_tokens: 8000 },
      output_config: { effort: 'high' },
    });
    assert.deepEqual(convertToConverseRequest(request({ reasoning: { mode: 'enabled', budgetTokens: 8000 } }), nova2, new DroppedFieldLog()).additionalModelRequestFields, {
      reasoningConfig: { type: 'enabled', maxReasoningEffort: 'medium' },
    });
    assert.deepEqual(convertToConverseRequest(request({ effort: 'max' }), gptOss, new DroppedFieldLog()).additionalModelRequestFields, { reasoning_effort: 'high' });
    const dropped = new DroppedFieldLog();
    const body = convertToConverseRequest(thinking, llama, dropped);
    assert.equal(body.additionalModelRequestFields, undefined);
    assert.deepEqual(dropped.entries.map((entry) => entry.field), ['top_k', 'thinking', 'output_config.effort']);
  });

  it('maps tools and tool choice, and inference settings with the instance cap', () => {
    const dropped = new DroppedFieldLog();
    const body = convertToConverseRequest(
      request({
        tools: [{ name: 'a', inputSchema: { type: 'object' }, cacheControl: { type: 'ephemeral' } }],
        toolChoice: { type: 'tool', name: 'a' },
        maxOutputTokens: 5000,
        topP: 0.9,
        stopSequences: ['X'],
        parallelToolCalls: false,
      }),
      claude,
      dropped,
      { maxOutputTokens: 1000 },
    );
    assert.deepEqual(body.toolConfig, { tools: [{ toolSpec: { name: 'a', inputSchema: { json: { type: 'object' } } } }, { cachePoint: { type: 'default' } }], toolChoice: { tool: { name: 'a' } } });
    assert.deepEqual(body.inferenceConfig, { maxTokens: 1000, topP: 0.9, stopSequences: ['X'] });
    assert.deepEqual(dropped.entries.map((entry) => entry.field), ['tool_choice.disable_parallel_tool_use']);

    const none = convertToConverseRequest(request({ tools: [{ name: 'a', inputSchema: {} }], toolChoice: { type: 'none' } }), claude, new DroppedFieldLog());
    assert.equal(none.toolConfig?.toolChoice, undefined);
  });

  it('sanitises document names as Bedrock requires', () => {
    assert.equal(converseDocumentName('Q3 report (final)_v2.pdf', 3), 'Q3 report (final) v2 pdf 3');
    assert.equal(converseDocumentName('***', 1), 'document-1');
  });
});
