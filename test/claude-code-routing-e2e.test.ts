/**
 * End to end: the real Claude Code CLI, headless, with made-up model names
 * (`ANTHROPIC_DEFAULT_SONNET_MODEL=sonnet-model`, `ANTHROPIC_DEFAULT_HAIKU_MODEL=haiku-model`,
 * `--model sonnet`) and a gateway whose routing rule
 * `model == "sonnet-model" && headers["user-agent"].startsWith("claude-cli")` sends them to an
 * OpenAI Chat Completions mock (`openai/gpt-test`); `haiku-model` is a static alias. Claude Code must
 * complete one tool round trip (create a file, print the final text, exit 0), every request it
 * makes must succeed, and each answer names the rule in `x-heimdall-route`.
 *
 * Skips with a notice when Claude Code cannot run here, unless `HEIMDALL_REQUIRE_E2E=1` (CI).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openAiRequestEndsWithToolResult, scriptedClaudeCodeHandler } from '../src/testing/claude-code-mock.js';
import { startMockUpstream } from '../src/testing/mock-upstream.js';
import { startRecordingForwarder } from '../src/testing/recording-forwarder.js';
import { startRefusingProxy } from '../src/testing/refusing-proxy.js';
import { claudeCodeAvailability, describeClaudeCodeRun, runClaudeCode } from '../src/testing/run-claude-code.js';
import { startTestGateway } from '../src/testing/test-gateway.js';

const FILE_CONTENT = 'Routed by Heimdall';
const FINAL_TEXT = 'Done: wrote routed.txt';
const RUN_TIMEOUT_MS = 120_000;

const availability = claudeCodeAvailability();

function skipWithoutClaudeCode(): false | string {
  if (availability.available || process.env.HEIMDALL_REQUIRE_E2E === '1') return false;
  return `Claude Code cannot run here (${availability.reason}); set HEIMDALL_REQUIRE_E2E=1 to make this a failure`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

test(
  'Claude Code with ANTHROPIC_DEFAULT_SONNET_MODEL=sonnet-model reaches the user-agent rule\'s target and completes a tool round trip',
  { skip: skipWithoutClaudeCode(), timeout: 180_000 },
  async (t) => {
    if (!availability.available) assert.fail(`HEIMDALL_REQUIRE_E2E=1 but Claude Code cannot run: ${availability.reason}`);
    const workingDirectory = mkdtempSync(join(tmpdir(), 'heimdall-routing-cwd-'));
    const home = mkdtempSync(join(tmpdir(), 'heimdall-routing-home-'));
    const filePath = join(workingDirectory, 'routed.txt');
    const mock = await startMockUpstream(scriptedClaudeCodeHandler({ format: 'openai', filePath, fileContent: FILE_CONTENT, finalText: FINAL_TEXT }));
    const gateway = await startTestGateway({
      providers: { openai: { base_url: `${mock.url}/v1`, keys: [{ value: 'sk-test' }] } },
      aliases: { 'haiku-model': 'openai/gpt-test-mini' },
      routing: {
        rules: [
          {
            name: 'claude-code-sonnet',
            expression: 'model == "sonnet-model" && headers["user-agent"].startsWith("claude-cli")',
            targets: [{ provider: 'openai', model: 'gpt-test' }],
          },
        ],
      },
    });
    const forwarder = await startRecordingForwarder(gateway.url);
    const proxy = await startRefusingProxy();
    try {
      const run = await runClaudeCode({
        binary: availability.binary,
        prompt: `Create routed.txt containing exactly: ${FILE_CONTENT}`,
        model: 'sonnet',
        extraArguments: ['--allowedTools', 'Write', '--permission-mode', 'acceptEdits'],
        baseUrl: `${forwarder.url}/anthropic`,
        cwd: workingDirectory,
        home,
        proxyUrl: proxy.url,
        timeoutMs: RUN_TIMEOUT_MS,
        environment: { ANTHROPIC_DEFAULT_SONNET_MODEL: 'sonnet-model', ANTHROPIC_DEFAULT_HAIKU_MODEL: 'haiku-model' },
      });
      const account = describeClaudeCodeRun(run);
      const summary = forwarder.exchanges.map((exchange) => `${exchange.method} ${exchange.url} → ${String(exchange.status)} (${String(exchange.responseHeaders?.['x-heimdall-route'] ?? '-')})`);
      t.diagnostic(`Claude Code ${availability.version}: exit ${String(run.exitCode)} after ${run.durationMs} ms; requests: ${summary.join(', ')}`);

      assert.equal(run.timedOut, false, `Claude Code hung\n${account}`);
      assert.equal(run.exitCode, 0, `Claude Code failed\n${account}`);
      assert.equal(existsSync(filePath) ? readFileSync(filePath, 'utf8') : undefined, FILE_CONTENT, `the file holds the requested text\n${account}`);
      assert.ok(run.stdout.includes(FINAL_TEXT), `stdout shows the model's final text\n${account}`);
      const failed = forwarder.exchanges.filter((exchange) => exchange.status === undefined || exchange.status >= 400);
      assert.deepEqual(failed.map((exchange) => `${exchange.method} ${exchange.url} → ${String(exchange.status)}`), [], `every request Claude Code made succeeds\n${summary.join('\n')}`);

      const messages = forwarder.exchanges.filter((exchange) => exchange.method === 'POST' && new URL(exchange.url, 'http://x').pathname === '/anthropic/v1/messages');
      const sonnet = messages.filter((exchange) => {
        const body: unknown = JSON.parse(exchange.body.toString('utf8'));
        return isRecord(body) && body.model === 'sonnet-model';
      });
      assert.ok(sonnet.length >= 2, `Claude Code asked for sonnet-model (the tool turn and the follow-up): ${summary.join(', ')}`);
      for (const exchange of sonnet) {
        assert.equal(exchange.responseHeaders?.['x-heimdall-route'], 'claude-code-sonnet', 'the rule matched');
        assert.equal(exchange.responseHeaders?.['x-heimdall-provider'], 'openai');
        assert.equal(exchange.responseHeaders?.['x-heimdall-model'], 'gpt-test');
      }
      const chatRequests = mock.requests.filter((request) => request.url === '/v1/chat/completions');
      assert.ok(chatRequests.some((request) => isRecord(request.json) && request.json.model === 'gpt-test'), 'the rule target reached the mock');
      assert.ok(chatRequests.some(openAiRequestEndsWithToolResult), 'the tool result went back to the rule target');
    } finally {
      await proxy.close();
      await forwarder.close();
      await gateway.close();
      await mock.close();
      rmSync(workingDirectory, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
    }
  },
);
