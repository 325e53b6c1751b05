import assert from 'node:assert/strict';
import { it } from 'node:test';
import { DroppedFieldLog } from '../../core/dropped-fields.js';
import { readSharedFixture, skipWithoutSharedFixtures } from '../../testing/fixtures.js';
import { ESTIMATED_TOKENS_PER_IMAGE, estimateInputTokens } from './estimate-input-tokens.js';
import { parseAnthropicRequest } from './parse-anthropic-request.js';

function estimate(body: unknown): number {
  return estimateInputTokens(parseAnthropicRequest(body, new DroppedFieldLog(), { countTokens: true, cloudBody: true }));
}

it('counts text with o200k_base plus per-message and per-image allowances', () => {
  const textOnly = estimate({ model: 'm', messages: [{ role: 'user', content: 'hello world' }] });
  assert.equal(textOnly, 2 + 4);
  const withImage = estimate({
    model: 'm',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hello world' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }] }],
  });
  assert.equal(withImage, textOnly + ESTIMATED_TOKENS_PER_IMAGE);
});

it('counts tool definitions, so a Claude Code first turn lands in the tens of thousands', { skip: skipWithoutSharedFixtures() }, () => {
  const firstTurn = JSON.parse(readSharedFixture('claude-code/messages-first-turn.json')) as Record<string, unknown>;
  const tokens = estimate(firstTurn);
  const withoutTools = estimate({ ...firstTurn, tools: [] });
  assert.ok(tokens > withoutTools + 5_000, `tools should weigh: ${tokens} vs ${withoutTools}`);
  assert.ok(tokens > 15_000 && tokens < 40_000, `85 KB of text and JSON should be ~20k tokens, got ${tokens}`);
});
