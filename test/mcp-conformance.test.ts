/**
 * The MCP conformance suite (npm `@modelcontextprotocol/conformance`, server mode, every scenario:
 * `--suite all`) against Heimdall's `/mcp`. Behind the gateway sit the conformance fixture server
 * (`src/testing/mcp-conformance-fixture-server.ts`, `namespace: false` because the scenarios call
 * fixed names such as `test_simple_text`) and `server-everything` (namespaced), so the suite runs
 * through aggregation and forwarding: progress, logging, sampling and elicitation are relayed from
 * the upstream to the suite's client across the gateway.
 *
 * Failures must match `test/mcp-conformance-baseline.json` exactly: a failure not listed there, or
 * a listed scenario that passes, fails this test.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { conformanceFixtureConfig, everythingStdioConfig, waitFor } from '../src/testing/mcp-test-servers.js';
import { runMcpConformance, type ConformanceBaselineEntry } from '../src/testing/run-mcp-conformance.js';
import { startTestGateway } from '../src/testing/test-gateway.js';

const baseline = (JSON.parse(readFileSync(new URL('./mcp-conformance-baseline.json', import.meta.url), 'utf8')) as { server: ConformanceBaselineEntry[] }).server;

test('MCP conformance suite (server mode) against /mcp matches the expected-failures baseline', { timeout: 240_000 }, async (t) => {
  const gateway = await startTestGateway({
    mcp: {
      servers: {
        conformance: conformanceFixtureConfig({ namespace: false }),
        everything: everythingStdioConfig(),
      },
    },
  });
  try {
    await waitFor(() => gateway.mcp.manager.list().every((upstream) => upstream.state === 'connected'), 60_000, 'both upstreams to connect');
    const run = await runMcpConformance({ url: `${gateway.url}/mcp`, suite: 'all', baseline, timeoutMs: 200_000 });
    const failing = run.scenarios.filter((scenario) => scenario.failed > 0);
    const passed = run.scenarios.reduce((sum, scenario) => sum + scenario.passed, 0);
    const failed = run.scenarios.reduce((sum, scenario) => sum + scenario.failed, 0);
    const warnings = run.scenarios.flatMap((scenario) => scenario.warningChecks.map((check) => `${scenario.scenario}/${check.id}: ${check.errorMessage ?? check.description ?? ''}`));
    t.diagnostic(`conformance: ${run.scenarios.length} scenarios, ${passed} checks passed, ${failed} failed, ${warnings.length} warnings`);
    for (const warning of warnings) t.diagnostic(`warning: ${warning}`);
    assert.equal(run.timedOut, false, `the conformance run hung\n${run.output}`);
    assert.ok(run.scenarios.length >= 30, `expected the whole suite to run (got ${run.scenarios.length} scenarios)\n${run.output}`);

    const unexpected = failing.filter((scenario) => !baseline.some((entry) => entry.scenario === scenario.scenario));
    assert.deepEqual(
      unexpected.map((scenario) => ({ scenario: scenario.scenario, failures: scenario.failures.map((check) => `${check.id}: ${check.errorMessage ?? ''}`) })),
      [],
      'scenarios failing that the baseline does not list',
    );
    const stale = baseline.filter((entry) => !failing.some((scenario) => scenario.scenario === entry.scenario));
    assert.deepEqual(stale, [], 'baseline entries whose scenario now passes: remove them from test/mcp-conformance-baseline.json');
    assert.equal(run.exitCode, 0, `the conformance CLI exited ${String(run.exitCode)}\n${run.output.slice(-4000)}`);
  } finally {
    await gateway.close();
  }
});
