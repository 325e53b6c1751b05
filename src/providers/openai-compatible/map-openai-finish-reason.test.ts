import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { finishReasonWithToolCalls, mapOpenAIFinishReason } from './map-openai-finish-reason.js';

describe('mapOpenAIFinishReason', () => {
  it('maps every documented value and anything else to other', () => {
    assert.equal(mapOpenAIFinishReason('stop'), 'end-turn');
    assert.equal(mapOpenAIFinishReason('length'), 'max-tokens');
    assert.equal(mapOpenAIFinishReason('tool_calls'), 'tool-use');
    assert.equal(mapOpenAIFinishReason('function_call'), 'tool-use');
    assert.equal(mapOpenAIFinishReason('content_filter'), 'content-filter');
    assert.equal(mapOpenAIFinishReason('error'), 'other');
    assert.equal(mapOpenAIFinishReason(''), 'other');
    assert.equal(mapOpenAIFinishReason(null), 'other');
    assert.equal(mapOpenAIFinishReason(undefined), 'other');
  });

  it('reports tool use when tool calls were made but the provider said stop', () => {
    assert.equal(finishReasonWithToolCalls('end-turn', true), 'tool-use');
    assert.equal(finishReasonWithToolCalls('other', true), 'tool-use');
    assert.equal(finishReasonWithToolCalls('max-tokens', true), 'max-tokens');
    assert.equal(finishReasonWithToolCalls('end-turn', false), 'end-turn');
  });
});
