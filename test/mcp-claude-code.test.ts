/**
 * Claude Code as the MCP client of Heimdall, end to end, with `server-everything` (stdio) behind
 * the MCP gateway:
 *
 * 1. `claude mcp add --transport http heimdall <gateway>/mcp --header "Authorization: Bearer <vk>"`
 *    (HOME a temp dir) and `claude mcp list` shows Heimdall connected;
 * 2. a headless session (`claude -p`, model through the gateway's Anthropic passthrough to a
 *    scripted mock) is offered the aggregated tools as `mcp__heimdall__<upstream>__<tool>` — exactly
 *    the key's allowed ones — calls `mcp__heimdall__everything__echo` through `/mcp`, and the mock
 *    receives the echo in the tool_result.
 *
 * Any other traffic Claude Code attempts goes to a refusing proxy on 127.0.0.1. Skips with a
 * notice when Claude Code cannot run here, unless `HEIMDALL_REQUIRE_E2E=1` (CI).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { anthropicToolNames, lastToolResults, scriptedMcpToolHandler, toolResultText } from '../src/testing/claude-code-mcp-mock.js';
import { everythingStdioConfig, waitFor } from '../src/testing/mcp-test-servers.js';
import { startMockUpstream } from '../src/testing/mock-upstream.js';
import { startRefusingProxy } from '../src/testing/refusing-proxy.js';
import { runClaudeCodeCommand } from '../src/testing/run-claude-code-command.js';
import { claudeCodeAvailability, describeClaudeCodeRun, runClaudeCode } from '../src/testing/run-claude-code.js';
import { startTestGateway } from '../src/testing/test-gateway.js';

const availability = claudeCodeAvailability();
const e2eRequired = process.env.HEIMDALL_REQUIRE_E2E === '1';
const skip = availability.available || e2eRequired ? false : `Claude Code cannot run here (${availability.reason}); set HEIMDALL_REQUIRE_E2E=1 to make this a failure`;

const VIRTUAL_KEY = 'vk-claude-code-mcp';
const ECHO_TOOL = 'mcp__heimdall__everything__echo';
const ECHO_MESSAGE = 'ping through heimdall';
const FINAL_TEXT = 'Heimdall relayed the echo';

test('Claude Code adds Heimdall as an MCP server, sees it connected, and calls an aggregated tool through /mcp', { skip, timeout: 240_000 }, async (t) => {
  if (!availability.available) assert.fail(`HEIMDALL_REQUIRE_E2E=1 but Claude Code cannot run: ${availability.reason}`);
  const home = mkdtempSync(join(tmpdir(), 'heimdall-mcp-cc-home-'));
  const workingDirectory = mkdtempSync(join(tmpdir(), 'heimdall-mcp-cc-cwd-'));
  const model = await startMockUpstream(scriptedMcpToolHandler({ toolName: ECHO_TOOL, input: { message: ECHO_MESSAGE }, finalText: FINAL_TEXT }));
  const gateway = await startTestGateway({
    providers: { anthropic: { base_url: model.url, keys: [{ value: 'sk-ant-provider-key' }] } },
    mcp: {
      enforce_auth_on_inference: true,
      servers: { everything: everythingStdioConfig() },
      access: { [VIRTUAL_KEY]: { everything: ['echo', 'get-sum'] } },
    },
  });
  const proxy = await startRefusingProxy();
  const common = { binary: availability.binary, cwd: workingDirectory, home, baseUrl: `${gateway.url}/anthropic`, proxyUrl: proxy.url };
  try {
    await waitFor(() => gateway.mcp.manager.get('everything')?.state === 'connected', 60_000, 'server-everything to connect');

    const added = await runClaudeCodeCommand({
      ...common,
      argumentList: ['mcp', 'add', '--transport', 'http', 'heimdall', `${gateway.url}/mcp`, '--header', `Authorization: Bearer ${VIRTUAL_KEY}`],
    });
    assert.equal(added.exitCode, 0, describeClaudeCodeRun(added));

    const listed = await runClaudeCodeCommand({ ...common, argumentList: ['mcp', 'list'], timeoutMs: 90_000 });
    t.diagnostic(`claude mcp list: ${listed.stdout.trim()}`);
    assert.equal(listed.exitCode, 0, describeClaudeCodeRun(listed));
    assert.match(listed.stdout, /heimdall: .*\/mcp \(HTTP\) - \S* ?Connected/, describeClaudeCodeRun(listed));

    const run = await runClaudeCode({
      binary: availability.binary,
      prompt: `Call the heimdall echo tool with the message "${ECHO_MESSAGE}" and report what it returned.`,
      model: 'claude-sonnet-4-6',
      extraArguments: ['--allowedTools', ECHO_TOOL, '--permission-mode', 'acceptEdits'],
      baseUrl: `${gateway.url}/anthropic`,
      cwd: workingDirectory,
      home,
      proxyUrl: proxy.url,
      timeoutMs: 150_000,
    });
    const account = describeClaudeCodeRun(run);
    t.diagnostic(`Claude Code ${availability.version}: exit ${String(run.exitCode)} after ${run.durationMs} ms`);
    if (proxy.attempts.length > 0) t.diagnostic(`Claude Code tried to reach (refused): ${proxy.attempts.join(', ')}`);
    assert.equal(run.timedOut, false, `Claude Code hung\n${account}`);
    assert.equal(run.exitCode, 0, account);
    assert.ok(run.stdout.includes(FINAL_TEXT), `stdout should carry the model's final text\n${account}`);

    const offered = model.requests.find((request) => anthropicToolNames(request).includes(ECHO_TOOL));
    assert.ok(offered !== undefined, `the model was offered ${ECHO_TOOL}\n${account}`);
    const heimdallTools = anthropicToolNames(offered).filter((name) => name.startsWith('mcp__heimdall__')).sort();
    t.diagnostic(`Heimdall tools Claude Code offered the model: ${heimdallTools.join(', ')}`);
    assert.deepEqual(heimdallTools, ['mcp__heimdall__everything__echo', 'mcp__heimdall__everything__get-sum'], 'exactly the virtual key’s tools');

    const results = model.requests.flatMap(lastToolResults);
    assert.ok(results.length > 0, `the model received a tool_result\n${account}`);
    assert.ok(
      results.some((block) => toolResultText(block).includes(`Echo: ${ECHO_MESSAGE}`) && block.is_error !== true),
      `the tool_result carries the echo: ${JSON.stringify(results)}`,
    );
  } finally {
    await proxy.close();
    await gateway.close();
    await model.close();
    rmSync(home, { recursive: true, force: true });
    rmSync(workingDirectory, { recursive: true, force: true });
  }
});
