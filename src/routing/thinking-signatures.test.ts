import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DroppedFieldLog } from '../core/dropped-fields.js';
import type { GatewayRequest } from '../core/gateway-request.js';
import type { JsonObject } from '../core/request-validation.js';
import { KeepAliveTicker } from './stream-keepalive.js';
import {
  dropForeignThinkingBlocks,
  heimdallThinkingSignature,
  isAnthropicThinkingSignature,
  stripForeignReasoningSignatures,
  thinkingSignatureIssuer,
} from './thinking-signatures.js';

const ANTHROPIC_SIGNATURE = 'EqQBCkgIARABGAIiQL2n0Xx5Qf9cOaKz+qH1Yb/Rz0Qv6VrMe9s3m4r2L8wZ=';

describe('thinking signatures', () => {
  it('tells who issued a signature', () => {
    assert.equal(thinkingSignatureIssuer(ANTHROPIC_SIGNATURE), 'anthropic');
    assert.equal(thinkingSignatureIssuer(heimdallThinkingSignature('openai', 'gpt-5')), 'heimdall');
    assert.equal(heimdallThinkingSignature('openai', 'gpt-5'), 'heimdall:v1:openai/gpt-5');
    assert.equal(thinkingSignatureIssuer('gemini:abc'), 'gemini');
    assert.equal(thinkingSignatureIssuer(''), 'unsigned');
    assert.equal(thinkingSignatureIssuer(undefined), 'unsigned');
    assert.equal(thinkingSignatureIssuer('vendor:xyz'), 'other');
    assert.equal(isAnthropicThinkingSignature('gemini:abc'), false);
  });

  it('drops foreign thinking for an Anthropic target and switches thinking off when a tool loop lost its thinking', () => {
    const root: JsonObject = {
      model: 'claude-sonnet-4-6',
      thinking: { type: 'adaptive' },
      context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'anthropic thought', signature: ANTHROPIC_SIGNATURE }, { type: 'text', text: 'hello' }] },
        { role: 'user', content: 'write a file' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'only thought', signature: '' }] },
        { role: 'user', content: 'go on' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'planning the write', signature: heimdallThinkingSignature('openai', 'gpt-5') },
            { type: 'tool_use', id: 'toolu_1', name: 'Write', input: {} },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok' }] },
      ],
    };
    const original = structuredClone(root);
    const dropped = new DroppedFieldLog();
    assert.equal(dropForeignThinkingBlocks(root, dropped), true);
    const messages = root.messages as Array<{ role: string; content: unknown }>;
    assert.deepEqual(messages[1], original.messages instanceof Array ? original.messages[1] : undefined, 'Anthropic-signed thinking stays');
    assert.deepEqual(messages[3].content, [{ type: 'text', text: 'only thought' }], 'a message left empty keeps its thinking as text');
    assert.deepEqual(messages[5].content, [{ type: 'tool_use', id: 'toolu_1', name: 'Write', input: {} }]);
    assert.equal(root.thinking, undefined, 'thinking is off for this request');
    assert.equal(root.context_management, undefined, 'clear_thinking edits need thinking');
    assert.deepEqual(dropped.entries.map((entry) => entry.field), ['messages.3.content.0', 'messages.5.content.0', 'thinking', 'context_management.edits']);
    const untouched: JsonObject = { model: 'm', messages: [{ role: 'assistant', content: [{ type: 'thinking', thinking: 't', signature: ANTHROPIC_SIGNATURE }] }] };
    assert.equal(dropForeignThinkingBlocks(untouched, new DroppedFieldLog()), false);
  });

  it('removes Heimdall-issued signatures from the IR, keeping Anthropic and Gemini ones', () => {
    const request: GatewayRequest = {
      model: 'm',
      system: [],
      tools: [],
      maxOutputTokens: 10,
      stream: false,
      messages: [
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: 'a', signature: ANTHROPIC_SIGNATURE },
            { type: 'reasoning', text: 'b', signature: heimdallThinkingSignature('groq', 'llama') },
            { type: 'reasoning', text: 'c', signature: 'gemini:sig' },
          ],
        },
      ],
    };
    stripForeignReasoningSignatures(request);
    const parts = request.messages[0].content;
    assert.deepEqual(
      parts.map((part) => (part.type === 'reasoning' ? part.signature : 'x')),
      [ANTHROPIC_SIGNATURE, undefined, 'gemini:sig'],
    );
  });
});

describe('KeepAliveTicker', () => {
  it('commits and pings after the first delay, then at the interval, and stops at the first byte', () => {
    let time = 0;
    const ticker = new KeepAliveTicker({ firstPingMs: 1_000, pingIntervalMs: 500 }, () => time, false);
    const events: string[] = [];
    let commits = 0;
    const keepAlive = ticker.watch(() => {
      commits += 1;
      return (type) => events.push(type);
    });
    time = 999;
    ticker.tick();
    assert.deepEqual(events, [], 'nothing before the first delay');
    assert.equal(keepAlive.committedWriter, undefined);
    time = 1_000;
    ticker.tick();
    time = 1_200;
    ticker.tick();
    time = 1_500;
    ticker.tick();
    assert.deepEqual(events, ['ping', 'ping']);
    assert.equal(commits, 1, 'committed once');
    assert.ok(keepAlive.committedWriter !== undefined);
    keepAlive.stop();
    time = 10_000;
    ticker.tick();
    assert.equal(events.length, 2, 'no pings after stop');
    assert.equal(ticker.waitingCount, 0);
  });
});
