import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayMetrics, mcpToolCallsTotal, OTHER_LABEL } from './metrics.js';

test('model labels are capped; the rest fold into other', async () => {
  const metrics = new GatewayMetrics(() => [{ provider: 'p', key: 'k', state: 'open', consecutiveFailures: 5 } as never], 2);
  for (const model of ['a', 'b', 'c', 'd', 'a']) {
    metrics.observeRequest({ provider: 'p', model, status: 200, requestKind: 'main', inboundApi: 'anthropic', streaming: false, inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0, latencyMs: 5, retries: 0, fellBack: false });
  }
  assert.equal(metrics.modelLabel('zzz'), OTHER_LABEL);
  mcpToolCallsTotal.inc({ server: 'fs', outcome: 'ok' });
  const text = await metrics.exposition();
  assert.match(text, /heimdall_requests_total\{provider="p",model="other",status="200",request_kind="main",inbound_api="anthropic"\} 2/);
  assert.match(text, /heimdall_requests_total\{provider="p",model="a",status="200",request_kind="main",inbound_api="anthropic"\} 2/);
  assert.match(text, /heimdall_circuit_breaker_state\{provider="p",key="k",state="open"\} 1/);
  assert.match(text, /heimdall_mcp_tool_calls_total\{server="fs",outcome="ok"\} \d+/);
});
