/**
 * End to end: the real Claude Code CLI (npm `@anthropic-ai/claude-code`) run headless against the
 * gateway, with a scripted mock model behind it that asks for one `Write` tool call and then
 * finishes. Claude Code must create the file, print the final text and exit 0, through
 *   (a) the translation path: `--model openai/gpt-test` → an OpenAI Chat Completions mock;
 *   (b) the passthrough: `--model claude-sonnet-4-6` → an Anthropic Messages mock.
 *
 * Between Claude Code and the gateway sits a recording forwarder, so the requests Claude Code
 * itself sent are saved to `.test-artifacts/claude-code-e2e/<variant>/` for debugging. Any other
 * traffic Claude Code attempts goes to a refusing proxy on 127.0.0.1 (nothing leaves the machine).
 *
 * Skips with a notice when Claude Code cannot run here, unless `HEIMDALL_REQUIRE_E2E=1` (CI),
 * where that is a failure.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import type { HeimdallConfig } from '../src/config/config-schema.js';
import {
  anthropicRequestEndsWithToolResult,
  openAiRequestEndsWithToolResult,
  scriptedClaudeCodeHandler,
  type ScriptedClaudeCodeModel,
} from '../src/testing/claude-code-mock.js';
import { startMockUpstream, type MockUpstream, type RecordedRequest } from '../src/testing/mock-upstream.js';
import { startRecordingForwarder, type ForwardedExchange } from '../src/testing/recording-forwarder.js';
import { startRefusingProxy } from '../src/testing/refusing-proxy.js';
import { claudeCodeAvailability, describeClaudeCodeRun, runClaudeCode, type ClaudeCodeRun } from '../src/testing/run-claude-code.js';
import { startTestGateway } from '../src/testing/test-gateway.js';

const FILE_CONTENT = 'Hello from Heimdall';
const FINAL_TEXT = 'Done: wrote hello.txt';
const PROMPT = `Create hello.txt containing exactly: ${FILE_CONTENT}`;
const RUN_TIMEOUT_MS = 120_000;
const artifactsDirectory = fileURLToPath(new URL('../.test-artifacts/claude-code-e2e/', import.meta.url));

const availability = claudeCodeAvailability();
const e2eRequired = process.env.HEIMDALL_REQUIRE_E2E === '1';

/** Skip reason when Claude Code cannot run and CI does not require it; false otherwise. */
function skipWithoutClaudeCode(): false | string {
  if (availability.available || e2eRequired) return false;
  return `Claude Code cannot run here (${availability.reason}); set HEIMDALL_REQUIRE_E2E=1 to make this a failure`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What one end-to-end run left behind. */
interface EndToEndOutcome {
  run: ClaudeCodeRun;
  workingDirectory: string;
  filePath: string;
  fileText: string | undefined;
  upstreamRequests: RecordedRequest[];
  clientExchanges: ForwardedExchange[];
  outsideAttempts: string[];
}

/** A request body as JSON, or undefined when it is empty or not JSON. */
function bodyJson(body: Buffer): unknown {
  try {
    return body.length > 0 ? (JSON.parse(body.toString('utf8')) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

function exchangeSummary(exchange: ForwardedExchange): Record<string, unknown> {
  const json = bodyJson(exchange.body);
  return {
    method: exchange.method,
    url: exchange.url,
    status: exchange.status,
    error: exchange.error,
    model: isRecord(json) ? json.model : undefined,
    stream: isRecord(json) ? json.stream : undefined,
    messages: isRecord(json) && Array.isArray(json.messages) ? json.messages.length : undefined,
    tools: isRecord(json) && Array.isArray(json.tools) ? json.tools.length : undefined,
  };
}

function saveArtifacts(variant: string, outcome: EndToEndOutcome): string {
  const directory = join(artifactsDirectory, variant);
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  const firstMessages = outcome.clientExchanges.find((exchange) => exchange.method === 'POST' && exchange.url.startsWith('/anthropic/v1/messages') && !exchange.url.includes('count_tokens'));
  if (firstMessages !== undefined) {
    const body = bodyJson(firstMessages.body) ?? firstMessages.body.toString('utf8');
    writeFileSync(join(directory, 'first-messages-request.json'), `${JSON.stringify({ method: firstMessages.method, url: firstMessages.url, headers: firstMessages.headers, body }, null, 2)}\n`);
  }
  const firstUpstream = outcome.upstreamRequests.find((request) => request.method === 'POST');
  if (firstUpstream !== undefined) {
    writeFileSync(
      join(directory, 'first-upstream-request.json'),
      `${JSON.stringify({ method: firstUpstream.method, url: firstUpstream.url, headers: firstUpstream.headers, body: firstUpstream.json }, null, 2)}\n`,
    );
  }
  writeFileSync(join(directory, 'client-requests.json'), `${JSON.stringify(outcome.clientExchanges.map(exchangeSummary), null, 2)}\n`);
  writeFileSync(
    join(directory, 'upstream-requests.json'),
    `${JSON.stringify(outcome.upstreamRequests.map((request) => ({ method: request.method, url: request.url, model: isRecord(request.json) ? request.json.model : undefined })), null, 2)}\n`,
  );
  writeFileSync(join(directory, 'outside-attempts.json'), `${JSON.stringify(outcome.outsideAttempts, null, 2)}\n`);
  writeFileSync(join(directory, 'claude-code-run.txt'), `${describeClaudeCodeRun(outcome.run)}\n`);
  return directory;
}

/** Runs Claude Code once against a gateway configured by `configFor(mock)` and a scripted mock model. */
async function runEndToEnd(
  t: TestContext,
  variant: string,
  format: ScriptedClaudeCodeModel['format'],
  model: string,
  configFor: (mock: MockUpstream) => HeimdallConfig,
): Promise<EndToEndOutcome> {
  if (!availability.available) assert.fail(`HEIMDALL_REQUIRE_E2E=1 but Claude Code cannot run: ${availability.reason}`);
  const workingDirectory = mkdtempSync(join(tmpdir(), 'heimdall-e2e-cwd-'));
  const home = mkdtempSync(join(tmpdir(), 'heimdall-e2e-home-'));
  const filePath = join(workingDirectory, 'hello.txt');
  const mock = await startMockUpstream(scriptedClaudeCodeHandler({ format, filePath, fileContent: FILE_CONTENT, finalText: FINAL_TEXT }));
  const gateway = await startTestGateway(configFor(mock));
  const forwarder = await startRecordingForwarder(gateway.url);
  const proxy = await startRefusingProxy();
  try {
    const run = await runClaudeCode({
      binary: availability.binary,
      prompt: PROMPT,
      model,
      extraArguments: ['--allowedTools', 'Write', '--permission-mode', 'acceptEdits'],
      baseUrl: `${forwarder.url}/anthropic`,
      cwd: workingDirectory,
      home,
      authToken: 'test-token',
      proxyUrl: proxy.url,
      timeoutMs: RUN_TIMEOUT_MS,
    });
    const outcome: EndToEndOutcome = {
      run,
      workingDirectory,
      filePath,
      fileText: existsSync(filePath) ? readFileSync(filePath, 'utf8') : undefined,
      upstreamRequests: [...mock.requests],
      clientExchanges: [...forwarder.exchanges],
      outsideAttempts: [...proxy.attempts],
    };
    const directory = saveArtifacts(variant, outcome);
    t.diagnostic(`Claude Code ${availability.version}: exit ${String(run.exitCode)} after ${run.durationMs} ms; artifacts in ${directory}`);
    t.diagnostic(`Claude Code requests: ${outcome.clientExchanges.map((exchange) => `${exchange.method} ${exchange.url} → ${String(exchange.status)}`).join(', ')}`);
    if (outcome.outsideAttempts.length > 0) t.diagnostic(`Claude Code tried to reach (refused): ${outcome.outsideAttempts.join(', ')}`);
    return outcome;
  } finally {
    await proxy.close();
    await forwarder.close();
    await gateway.close();
    await mock.close();
    rmSync(workingDirectory, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

/** The assertions both variants share: what the user sees. */
function assertUserVisibleOutcome(outcome: EndToEndOutcome): void {
  const account = describeClaudeCodeRun(outcome.run);
  assert.equal(outcome.run.timedOut, false, `Claude Code hung and was killed after ${RUN_TIMEOUT_MS} ms\n${account}`);
  assert.equal(outcome.run.exitCode, 0, `Claude Code failed\n${account}`);
  assert.equal(outcome.fileText, FILE_CONTENT, `hello.txt should hold exactly the requested text\n${account}`);
  assert.ok(outcome.run.stdout.includes(FINAL_TEXT), `stdout should contain the model's final text\n${account}`);
  const failed = outcome.clientExchanges.filter((exchange) => exchange.status === undefined || exchange.status >= 400);
  assert.deepEqual(failed.map(exchangeSummary), [], `every request Claude Code made should succeed\n${account}`);
}

test(
  'Claude Code writes a file through the translation path (openai/gpt-test → OpenAI Chat Completions mock)',
  { skip: skipWithoutClaudeCode(), timeout: 180_000 },
  async (t) => {
    const outcome = await runEndToEnd(t, 'openai', 'openai', 'openai/gpt-test', (mock) => ({
      providers: { openai: { base_url: `${mock.url}/v1`, keys: [{ value: 'sk-test' }] } },
    }));
    assertUserVisibleOutcome(outcome);

    const chatRequests = outcome.upstreamRequests.filter((request) => request.url === '/v1/chat/completions');
    assert.ok(chatRequests.length >= 2, `expected the tool-call turn and the follow-up, got ${chatRequests.length} chat requests`);
    for (const request of chatRequests) {
      assert.equal(request.headers.authorization, 'Bearer sk-test', 'the configured OpenAI key is sent upstream');
      assert.ok(isRecord(request.json) && request.json.model === 'gpt-test', 'the provider prefix is stripped from the model name');
    }
    const followUp = chatRequests.find(openAiRequestEndsWithToolResult);
    assert.ok(followUp !== undefined, 'the mock should receive the tool result as a role "tool" message');
    assert.ok(isRecord(followUp.json) && Array.isArray(followUp.json.messages));
    const messages = followUp.json.messages.filter(isRecord);
    const assistant = messages.find((message) => message.role === 'assistant' && Array.isArray(message.tool_calls));
    const toolMessage = messages.find((message) => message.role === 'tool');
    assert.ok(assistant !== undefined && toolMessage !== undefined, 'the follow-up carries the assistant tool call and its result');
    const calls = (assistant.tool_calls as unknown[]).filter(isRecord);
    assert.equal(calls.length, 1);
    assert.equal(toolMessage.tool_call_id, calls[0].id, 'the tool message answers the assistant tool call by id');
    assert.ok(isRecord(calls[0].function) && calls[0].function.name === 'Write');
    assert.deepEqual(JSON.parse(String(calls[0].function.arguments)), { file_path: outcome.filePath, content: FILE_CONTENT });
  },
);

test(
  'Claude Code writes a file through the Anthropic passthrough (claude-sonnet-4-6 → Anthropic Messages mock)',
  { skip: skipWithoutClaudeCode(), timeout: 180_000 },
  async (t) => {
    const outcome = await runEndToEnd(t, 'anthropic', 'anthropic', 'claude-sonnet-4-6', (mock) => ({
      providers: { anthropic: { base_url: mock.url, keys: [{ value: 'sk-ant-provider-key' }] } },
    }));
    assertUserVisibleOutcome(outcome);

    const messageRequests = outcome.upstreamRequests.filter((request) => request.url === '/v1/messages');
    assert.ok(messageRequests.length >= 2, `expected the tool-call turn and the follow-up, got ${messageRequests.length} messages requests`);
    for (const request of messageRequests) {
      assert.equal(request.headers['x-api-key'], 'sk-ant-provider-key', 'the configured Anthropic key replaces the client credential');
      assert.equal(request.headers.authorization, undefined, "the client's bearer token is not forwarded when a key is configured");
      assert.ok(isRecord(request.json) && request.json.model === 'claude-sonnet-4-6');
    }
    const followUp = messageRequests.find(anthropicRequestEndsWithToolResult);
    assert.ok(followUp !== undefined, 'the mock should receive a request whose last user turn carries the tool_result');

    // Passthrough: the body Claude Code sent arrives byte for byte (the model name was bare, so unchanged).
    const clientMessages = outcome.clientExchanges.filter((exchange) => exchange.method === 'POST' && new URL(exchange.url, 'http://x').pathname === '/anthropic/v1/messages');
    assert.equal(clientMessages.length, messageRequests.length, 'one upstream request per Claude Code messages request');
    clientMessages.forEach((exchange, position) => {
      assert.ok(exchange.body.equals(messageRequests[position].body), `messages request ${position} reached the upstream unchanged`);
      assert.equal(messageRequests[position].headers['anthropic-beta'], exchange.headers['anthropic-beta'], 'anthropic-beta is forwarded');
      assert.equal(messageRequests[position].headers['anthropic-version'], exchange.headers['anthropic-version'], 'anthropic-version is forwarded');
    });
  },
);
