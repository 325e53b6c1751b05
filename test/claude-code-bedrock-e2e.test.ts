/**
 * End to end: the real Claude Code CLI run headless against the gateway, completing one `Write`
 * tool round trip (the scripted model asks for a Write in small argument pieces, then finishes with
 * a text after the tool result), through the Bedrock and Azure paths:
 *   (a) Claude Code's own Bedrock mode (`CLAUDE_CODE_USE_BEDROCK=1`, `ANTHROPIC_BEDROCK_BASE_URL=
 *       <gateway>/bedrock`, `CLAUDE_CODE_SKIP_BEDROCK_AUTH=1`) → the Bedrock provider → a mock
 *       Bedrock that verifies the gateway's SigV4 signatures and answers in the binary event stream;
 *   (b) `/anthropic` with `--model bedrock/<Claude>` → InvokeModel on the same mock;
 *   (c) `/anthropic` with `--model bedrock/<non-Claude model>` → Converse on the same mock;
 *   (d) `/anthropic` with `--model azure/<deployment>` → an Azure OpenAI (Chat Completions) mock.
 * Requests Claude Code sends go through a recording forwarder; anything else it tries is refused
 * by a proxy on 127.0.0.1. Skips with a notice when Claude Code cannot run here, unless
 * `HEIMDALL_REQUIRE_E2E=1`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { HeimdallConfig } from '../src/config/config-schema.js';
import { scriptedBedrockHandler, converseTurnOf } from '../src/testing/claude-code-bedrock-mock.js';
import { anthropicRequestEndsWithToolResult, openAiRequestEndsWithToolResult, scriptedClaudeCodeHandler } from '../src/testing/claude-code-mock.js';
import { startMockBedrock, TEST_AWS_CREDENTIALS, type BedrockRecordedRequest } from '../src/testing/mock-bedrock.js';
import { startMockUpstream, type RecordedRequest } from '../src/testing/mock-upstream.js';
import { startRecordingForwarder, type ForwardedExchange } from '../src/testing/recording-forwarder.js';
import { startRefusingProxy } from '../src/testing/refusing-proxy.js';
import { claudeCodeAvailability, describeClaudeCodeRun, runClaudeCode, type ClaudeCodeRun } from '../src/testing/run-claude-code.js';
import { startTestGateway } from '../src/testing/test-gateway.js';

const FILE_CONTENT = 'Hello from Heimdall on Bedrock';
const FINAL_TEXT = 'Done: wrote hello.txt';
const PROMPT = `Create hello.txt containing exactly: ${FILE_CONTENT}`;
const RUN_TIMEOUT_MS = 150_000;
const CLAUDE_PROFILE = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';

const availability = claudeCodeAvailability();
const e2eRequired = process.env.HEIMDALL_REQUIRE_E2E === '1';
const skip: false | string = availability.available || e2eRequired ? false : `Claude Code cannot run here (${availability.reason}); set HEIMDALL_REQUIRE_E2E=1 to make this a failure`;

interface Outcome {
  run: ClaudeCodeRun;
  filePath: string;
  fileText: string | undefined;
  exchanges: ForwardedExchange[];
  outsideAttempts: string[];
}

type Upstream = { requests: Array<RecordedRequest | BedrockRecordedRequest>; url: string; close(): Promise<void> };

/** Runs Claude Code once against a gateway configured for `upstream`, returning what the user sees. */
async function runOnce(
  t: TestContext,
  startUpstream: (filePath: string) => Promise<Upstream>,
  configFor: (upstream: Upstream) => HeimdallConfig,
  client: (gatewayUrl: string) => { model: string; environment?: Record<string, string> },
): Promise<{ outcome: Outcome; upstream: Upstream }> {
  if (!availability.available) assert.fail(`HEIMDALL_REQUIRE_E2E=1 but Claude Code cannot run: ${availability.reason}`);
  const workingDirectory = mkdtempSync(join(tmpdir(), 'heimdall-e2e-cwd-'));
  const home = mkdtempSync(join(tmpdir(), 'heimdall-e2e-home-'));
  const filePath = join(workingDirectory, 'hello.txt');
  const upstream = await startUpstream(filePath);
  const gateway = await startTestGateway(configFor(upstream));
  const forwarder = await startRecordingForwarder(gateway.url);
  const proxy = await startRefusingProxy();
  try {
    const { model, environment } = client(forwarder.url);
    const run = await runClaudeCode({
      binary: availability.binary,
      prompt: PROMPT,
      model,
      extraArguments: ['--allowedTools', 'Write', '--permission-mode', 'acceptEdits'],
      baseUrl: `${forwarder.url}/anthropic`,
      cwd: workingDirectory,
      home,
      proxyUrl: proxy.url,
      environment,
      timeoutMs: RUN_TIMEOUT_MS,
    });
    const outcome: Outcome = {
      run,
      filePath,
      fileText: existsSync(filePath) ? readFileSync(filePath, 'utf8') : undefined,
      exchanges: [...forwarder.exchanges],
      outsideAttempts: [...proxy.attempts],
    };
    t.diagnostic(`Claude Code requests: ${outcome.exchanges.map((exchange) => `${exchange.method} ${exchange.url} → ${String(exchange.status)}`).join(', ')}`);
    if (outcome.outsideAttempts.length > 0) t.diagnostic(`refused outside attempts: ${outcome.outsideAttempts.join(', ')}`);
    return { outcome, upstream };
  } finally {
    await proxy.close();
    await forwarder.close();
    await gateway.close();
    await upstream.close();
    rmSync(workingDirectory, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

function assertUserVisibleOutcome(outcome: Outcome): void {
  const account = describeClaudeCodeRun(outcome.run);
  assert.equal(outcome.run.timedOut, false, `Claude Code hung and was killed after ${RUN_TIMEOUT_MS} ms\n${account}`);
  assert.equal(outcome.run.exitCode, 0, `Claude Code failed\n${account}`);
  assert.equal(outcome.fileText, FILE_CONTENT, `hello.txt should hold exactly the requested text\n${account}`);
  assert.ok(outcome.run.stdout.includes(FINAL_TEXT), `stdout should contain the model's final text\n${account}`);
  const failed = outcome.exchanges.filter((exchange) => exchange.status === undefined || exchange.status >= 400);
  assert.deepEqual(
    failed.map((exchange) => `${exchange.method} ${exchange.url} → ${String(exchange.status)}`),
    [],
    `every request Claude Code made should succeed\n${account}`,
  );
}

const scriptFor = (filePath: string) => ({ filePath, fileContent: FILE_CONTENT, finalText: FINAL_TEXT });

function bedrockConfig(upstream: Upstream): HeimdallConfig {
  return {
    providers: {
      bedrock: {
        base_url: upstream.url,
        region: 'us-east-1',
        keys: [{ access_key_id: TEST_AWS_CREDENTIALS.accessKeyId, value: TEST_AWS_CREDENTIALS.secretAccessKey }],
        deployments: { 'claude-sonnet-4-5': CLAUDE_PROFILE },
      },
    },
  };
}

function bedrockRequests(upstream: Upstream): BedrockRecordedRequest[] {
  return upstream.requests.filter((request): request is BedrockRecordedRequest => 'operation' in request);
}

test("Claude Code's Bedrock mode writes a file through /bedrock → Bedrock provider (InvokeModel, SigV4-checked mock)", { skip, timeout: 200_000 }, async (t) => {
  const { outcome, upstream } = await runOnce(
    t,
    (filePath) => startMockBedrock(scriptedBedrockHandler(scriptFor(filePath))),
    bedrockConfig,
    (gatewayUrl) => ({
      model: CLAUDE_PROFILE,
      environment: {
        CLAUDE_CODE_USE_BEDROCK: '1',
        ANTHROPIC_BEDROCK_BASE_URL: `${gatewayUrl}/bedrock`,
        CLAUDE_CODE_SKIP_BEDROCK_AUTH: '1',
        AWS_REGION: 'us-east-1',
      },
    }),
  );
  assertUserVisibleOutcome(outcome);
  assert.ok(outcome.exchanges.some((exchange) => exchange.url.startsWith('/bedrock/model/')), 'Claude Code called the /bedrock surface');
  const invokes = bedrockRequests(upstream).filter((request) => request.operation.startsWith('invoke'));
  assert.ok(invokes.length >= 2, `expected the tool-call turn and the follow-up, got ${invokes.length}`);
  for (const request of invokes) {
    assert.equal(request.refusal, undefined, `the mock accepted the gateway's signature (${request.refusal ?? ''})`);
    assert.ok(typeof request.json === 'object' && request.json !== null && (request.json as Record<string, unknown>).anthropic_version === 'bedrock-2023-05-31');
  }
  assert.ok(invokes.some(anthropicRequestEndsWithToolResult), 'the tool result reached Bedrock');
});

test('Claude Code writes a file through /anthropic with --model bedrock/claude-sonnet-4-5 (InvokeModel on a pinned profile)', { skip, timeout: 200_000 }, async (t) => {
  const { outcome, upstream } = await runOnce(t, (filePath) => startMockBedrock(scriptedBedrockHandler(scriptFor(filePath))), bedrockConfig, () => ({ model: 'bedrock/claude-sonnet-4-5' }));
  assertUserVisibleOutcome(outcome);
  const invokes = bedrockRequests(upstream).filter((request) => request.operation.startsWith('invoke'));
  assert.ok(invokes.length >= 2, `expected the tool-call turn and the follow-up, got ${invokes.length}`);
  assert.ok(invokes.every((request) => request.modelId === CLAUDE_PROFILE && request.refusal === undefined), 'the name maps to the pinned profile and every signature verifies');
  assert.ok(invokes.some(anthropicRequestEndsWithToolResult), 'the tool result reached Bedrock');
});

test('Claude Code writes a file through /anthropic with --model bedrock/amazon.nova-pro-v1:0 (Converse translation)', { skip, timeout: 200_000 }, async (t) => {
  const { outcome, upstream } = await runOnce(t, (filePath) => startMockBedrock(scriptedBedrockHandler(scriptFor(filePath))), bedrockConfig, () => ({ model: 'bedrock/amazon.nova-pro-v1:0' }));
  assertUserVisibleOutcome(outcome);
  const converse = bedrockRequests(upstream).filter((request) => request.operation.startsWith('converse'));
  assert.ok(converse.length >= 2, `expected the tool-call turn and the follow-up, got ${converse.length}`);
  assert.ok(converse.every((request) => request.modelId === 'amazon.nova-pro-v1:0' && request.refusal === undefined));
  const followUp = converse.find((request) => converseTurnOf(request) === 'after-tool-result');
  assert.ok(followUp !== undefined, 'the tool result reached Bedrock as a toolResult block');
});

test('Claude Code writes a file through /anthropic with --model azure/gpt-test (Azure OpenAI deployment)', { skip, timeout: 200_000 }, async (t) => {
  const { outcome, upstream } = await runOnce(
    t,
    async (filePath) => {
      const openAi = scriptedClaudeCodeHandler({ format: 'openai', ...scriptFor(filePath) });
      // The scripted OpenAI model answers /v1/chat/completions; Azure deployment URLs are mapped onto it.
      return startMockUpstream((request, response) =>
        /^\/openai\/deployments\/[^/]+\/chat\/completions\?api-version=/.test(request.url) ? openAi({ ...request, url: '/v1/chat/completions' }, response) : openAi(request, response),
      );
    },
    (mock) => ({
      providers: { azure: { base_url: mock.url, api_version: '2024-10-21', keys: [{ value: 'azure-test-key' }], deployments: { 'gpt-test': 'heimdall-gpt-deployment' } } },
    }),
    () => ({ model: 'azure/gpt-test' }),
  );
  assertUserVisibleOutcome(outcome);
  const chats = upstream.requests.filter((request) => request.url.includes('/chat/completions'));
  assert.ok(chats.length >= 2, `expected the tool-call turn and the follow-up, got ${chats.length}`);
  for (const request of chats) {
    assert.equal(request.url, '/openai/deployments/heimdall-gpt-deployment/chat/completions?api-version=2024-10-21');
    assert.equal(request.headers['api-key'], 'azure-test-key');
  }
  assert.ok(chats.some(openAiRequestEndsWithToolResult), 'the tool result reached Azure as a role "tool" message');
});

test("Claude Code's Bedrock mode writes a file through /bedrock → Anthropic provider (no Bedrock provider configured)", { skip, timeout: 200_000 }, async (t) => {
  const { outcome, upstream } = await runOnce(
    t,
    (filePath) => startMockUpstream(scriptedClaudeCodeHandler({ format: 'anthropic', ...scriptFor(filePath) })),
    (mock) => ({ providers: { anthropic: { base_url: mock.url, keys: [{ value: 'sk-ant-provider-key' }] } } }),
    (gatewayUrl) => ({
      model: CLAUDE_PROFILE,
      environment: {
        CLAUDE_CODE_USE_BEDROCK: '1',
        ANTHROPIC_BEDROCK_BASE_URL: `${gatewayUrl}/bedrock`,
        CLAUDE_CODE_SKIP_BEDROCK_AUTH: '1',
        AWS_REGION: 'us-east-1',
      },
    }),
  );
  assertUserVisibleOutcome(outcome);
  const messages = upstream.requests.filter((request) => request.url === '/v1/messages');
  assert.ok(messages.length >= 2, `expected the tool-call turn and the follow-up, got ${messages.length}`);
  for (const request of messages) {
    assert.equal(request.headers['x-api-key'], 'sk-ant-provider-key');
    const json = request.json as Record<string, unknown>;
    assert.equal(json.model, 'claude-sonnet-4-5-20250929', 'the Bedrock profile id maps to the Anthropic model name');
    assert.equal(json.anthropic_version, undefined, 'the Bedrock-only body field is removed');
  }
  assert.ok(messages.some(anthropicRequestEndsWithToolResult), 'the tool result reached Anthropic');
});
