import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestLogSummary } from '../observability/logs/request-log-record.js';
import { formatLogLine } from './logs-command.js';

const record: RequestLogSummary = {
  id: 'r1',
  createdAt: Date.UTC(2026, 0, 2, 3, 4, 5),
  requestKind: 'other',
  inboundApi: 'anthropic',
  provider: 'openai',
  modelServed: 'gpt-test',
  fallbackStep: 0,
  attempts: [],
  status: 200,
  inputTokens: 10,
  outputTokens: 20,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  costUsd: 0.03,
  latencyMs: 12.4,
  streaming: false,
  droppedFields: [],
};

test('heimdall logs lines name the inbound API when it is not /anthropic', () => {
  const anthropic = formatLogLine(record);
  assert.equal(anthropic, '2026-01-02 03:04:05.000  200  other       openai/gpt-test  10→20 tok  $0.03  12 ms');
  assert.doesNotMatch(anthropic, /via/);
  assert.match(formatLogLine({ ...record, inboundApi: 'bedrock' }), /via \/bedrock/);
  assert.match(formatLogLine({ ...record, inboundApi: 'genai', fallbackStep: 1 }), /via \/genai {2}fallback#1/);
});
