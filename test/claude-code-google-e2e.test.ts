/**
 * End to end: the real Claude Code CLI run headless against the gateway with Google upstreams
 * behind it (mock Vertex AI with a service-account token endpoint, mock Gemini API). A scripted
 * model asks for one `Write` tool call (arguments streamed in small pieces where the API streams
 * them) and, once the tool result is back, finishes with a text. Claude Code must create the file,
 * print the final text and exit 0, in four set-ups:
 *
 *   (a) Claude Code's Vertex mode (`CLAUDE_CODE_USE_VERTEX=1`) against `/genai` → Vertex provider
 *       → Claude on Vertex (`streamRawPredict`, passthrough);
 *   (b) `/anthropic` with `--model vertex/claude-sonnet-4-5@20250929` → Claude on Vertex;
 *   (c) `/anthropic` with `--model vertex/gemini-2.5-pro` → Gemini on Vertex through translation,
 *       the Write arguments streamed as Vertex `partialArgs` pieces;
 *   (d) `/anthropic` with `--model gemini/gemini-2.5-flash` → the Gemini API through translation.
 *
 * For (c) and (d) the follow-up request must carry the thought signature on the `functionCall`.
 * Requests Claude Code made are saved to `.test-artifacts/claude-code-google-e2e/<variant>/`.
 * Skips with a notice when Claude Code cannot run here, unless `HEIMDALL_REQUIRE_E2E=1`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import type { HeimdallConfig } from '../src/config/config-schema.js';
import { anthropicRequestEndsWithToolResult } from '../src/testing/claude-code-mock.js';
import { geminiRequestEndsWithFunctionResponse, scriptedGeminiHandler, type ScriptedGeminiModel } from '../src/testing/gemini-claude-code-mock.js';
import { startMockGoogle, type GoogleRecordedRequest, type MockGoogle } from '../src/testing/mock-google.js';
import { startRecordingForwarder, type ForwardedExchange } from '../src/testing/recording-forwarder.js';
import { startRefusingProxy } from '../src/testing/refusing-proxy.js';
import { claudeCodeAvailability, describeClaudeCodeRun, runClaudeCode, type ClaudeCodeRun } from '../src/testing/run-claude-code.js';
import { startTestGateway } from '../src/testing/test-gateway.js';

const FILE_CONTENT = 'Hello from Heimdall via Google';
const FINAL_TEXT = 'Done: wrote hello.txt';
const PROMPT = `Create hello.txt containing exactly: ${FILE_CONTENT}`;
const THOUGHT_SIGNATURE = 'EsgBCsUBAb4+9vtheimdall/test+signature==';
const RUN_TIMEOUT_MS = 120_000;
const artifactsDirectory = fileURLToPath(new URL('../.test-artifacts/claude-code-google-e2e/', import.meta.url));

const availability = claudeCodeAvailability();
const e2eRequired = process.env.HEIMDALL_REQUIRE_E2E === '1';

function skipWithoutClaudeCode(): false | string {
  if (availability.available || e2eRequired) return false;
  return `Claude Code cannot run here (${availability.reason}); set HEIMDALL_REQUIRE_E2E=1 to make this a failure`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface EndToEndOutcome {
  run: ClaudeCodeRun;
  filePath: string;
  fileText: string | undefined;
  upstreamRequests: GoogleRecordedRequest[];
  clientExchanges: ForwardedExchange[];
  outsideAttempts: string[];
}

interface Variant {
  name: string;
  /** `--model`. */
  model: string;
  /** `anthropic`: ANTHROPIC_BASE_URL=<gateway>/anthropic; `vertex`: Claude Code's Vertex mode against <gateway>/genai. */
  mode: 'anthropic' | 'vertex';
  arguments: ScriptedGeminiModel['arguments'];
}

function configFor(google: MockGoogle): HeimdallConfig {
  return {
    providers: {
      vertex: { base_url: google.url, region: 'us-east5', google_cloud: { project: 'heimdall-e2e', credentials: JSON.stringify(google.serviceAccount.json) } },
      gemini: { base_url: google.geminiBaseUrl, keys: [{ value: google.apiKey }] },
    },
  };
}

function saveArtifacts(variant: string, outcome: EndToEndOutcome): string {
  const directory = join(artifactsDirectory, variant);
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  writeFileSync(
    join(directory, 'client-requests.json'),
    `${JSON.stringify(outcome.clientExchanges.map((exchange) => ({ method: exchange.method, url: exchange.url, status: exchange.status, error: exchange.error })), null, 2)}\n`,
  );
  writeFileSync(
    join(directory, 'upstream-requests.json'),
    `${JSON.stringify(outcome.upstreamRequests.map((request) => ({ url: request.url, body: request.json })), null, 2)}\n`,
  );
  writeFileSync(join(directory, 'outside-attempts.json'), `${JSON.stringify(outcome.outsideAttempts, null, 2)}\n`);
  writeFileSync(join(directory, 'claude-code-run.txt'), `${describeClaudeCodeRun(outcome.run)}\n`);
  return directory;
}

async function runEndToEnd(t: TestContext, variant: Variant): Promise<EndToEndOutcome> {
  if (!availability.available) assert.fail(`HEIMDALL_REQUIRE_E2E=1 but Claude Code cannot run: ${availability.reason}`);
  const workingDirectory = mkdtempSync(join(tmpdir(), 'heimdall-google-e2e-cwd-'));
  const home = mkdtempSync(join(tmpdir(), 'heimdall-google-e2e-home-'));
  const filePath = join(workingDirectory, 'hello.txt');
  const google = await startMockGoogle(
    scriptedGeminiHandler({
      filePath,
      fileContent: FILE_CONTENT,
      finalText: FINAL_TEXT,
      arguments: variant.arguments,
      argumentPieceLength: 4,
      thoughtSignature: THOUGHT_SIGNATURE,
    }),
  );
  const gateway = await startTestGateway(configFor(google));
  const forwarder = await startRecordingForwarder(gateway.url);
  const proxy = await startRefusingProxy();
  try {
    const vertexEnvironment: Record<string, string> =
      variant.mode === 'vertex'
        ? {
            CLAUDE_CODE_USE_VERTEX: '1',
            ANTHROPIC_VERTEX_BASE_URL: `${forwarder.url}/genai`,
            CLAUDE_CODE_SKIP_VERTEX_AUTH: '1',
            ANTHROPIC_VERTEX_PROJECT_ID: 'p',
            CLOUD_ML_REGION: 'us-east5',
          }
        : {};
    const run = await runClaudeCode({
      binary: availability.binary,
      prompt: PROMPT,
      model: variant.model,
      extraArguments: ['--allowedTools', 'Write', '--permission-mode', 'acceptEdits'],
      baseUrl: `${forwarder.url}/anthropic`,
      cwd: workingDirectory,
      home,
      authToken: 'test-token',
      proxyUrl: proxy.url,
      timeoutMs: RUN_TIMEOUT_MS,
      environment: vertexEnvironment,
    });
    const outcome: EndToEndOutcome = {
      run,
      filePath,
      fileText: existsSync(filePath) ? readFileSync(filePath, 'utf8') : undefined,
      upstreamRequests: [...google.requests],
      clientExchanges: [...forwarder.exchanges],
      outsideAttempts: [...proxy.attempts],
    };
    const directory = saveArtifacts(variant.name, outcome);
    t.diagnostic(`Claude Code ${availability.version}: exit ${String(run.exitCode)} after ${run.durationMs} ms; artifacts in ${directory}`);
    t.diagnostic(`Claude Code requests: ${outcome.clientExchanges.map((exchange) => `${exchange.method} ${exchange.url} → ${String(exchange.status)}`).join(', ')}`);
    if (outcome.outsideAttempts.length > 0) t.diagnostic(`Claude Code tried to reach (refused): ${outcome.outsideAttempts.join(', ')}`);
    return outcome;
  } finally {
    await proxy.close();
    await forwarder.close();
    await gateway.close();
    await google.close();
    rmSync(workingDirectory, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

function assertUserVisibleOutcome(outcome: EndToEndOutcome): void {
  const account = describeClaudeCodeRun(outcome.run);
  assert.equal(outcome.run.timedOut, false, `Claude Code hung and was killed after ${RUN_TIMEOUT_MS} ms\n${account}`);
  assert.equal(outcome.run.exitCode, 0, `Claude Code failed\n${account}`);
  assert.equal(outcome.fileText, FILE_CONTENT, `hello.txt should hold exactly the requested text\n${account}`);
  assert.ok(outcome.run.stdout.includes(FINAL_TEXT), `stdout should contain the model's final text\n${account}`);
  const failed = outcome.clientExchanges.filter((exchange) => exchange.status === undefined || exchange.status >= 400);
  assert.deepEqual(failed.map((exchange) => `${exchange.method} ${exchange.url} → ${String(exchange.status)} ${exchange.error ?? ''}`), [], `every request Claude Code made should succeed\n${account}`);
}

/** Claude on Vertex: the follow-up reached `streamRawPredict` with the tool result, in Vertex's body shape. */
function assertClaudeOnVertex(outcome: EndToEndOutcome, model: string): void {
  const messages = outcome.upstreamRequests.filter((request) => request.publisher === 'anthropic' && request.model !== 'count-tokens');
  assert.ok(messages.length >= 2, `expected the tool-call turn and the follow-up, got ${messages.length}`);
  assert.ok(messages.some((request) => request.model === model));
  for (const request of messages) {
    assert.equal(request.project, 'heimdall-e2e', 'the configured project is used, whatever Claude Code put in its URL');
    assert.equal(request.location, 'us-east5');
    assert.ok(isRecord(request.json) && request.json.model === undefined && request.json.anthropic_version === 'vertex-2023-10-16');
  }
  const followUp = messages.find((request) => anthropicRequestEndsWithToolResult({ ...request, url: request.url, json: request.json }));
  assert.ok(followUp !== undefined, 'the follow-up carries the tool_result');
}

/** Gemini: the follow-up sends the Write call back with its thought signature and the function response. */
function assertGeminiFollowUp(outcome: EndToEndOutcome): void {
  const followUp = outcome.upstreamRequests.find((request) => request.publisher === 'google' && geminiRequestEndsWithFunctionResponse(request));
  assert.ok(followUp !== undefined, 'the follow-up carries a functionResponse');
  assert.ok(isRecord(followUp.json) && Array.isArray(followUp.json.contents));
  const contents = followUp.json.contents as Array<{ role: string; parts: Array<Record<string, unknown>> }>;
  const modelTurn = contents.filter((content) => content.role === 'model').pop();
  const call = modelTurn?.parts.find((part) => part.functionCall !== undefined);
  assert.deepEqual(call, { functionCall: { name: 'Write', args: { file_path: outcome.filePath, content: FILE_CONTENT } }, thoughtSignature: THOUGHT_SIGNATURE });
  const response = contents[contents.length - 1].parts.find((part) => part.functionResponse !== undefined);
  assert.ok(isRecord(response?.functionResponse) && response.functionResponse.name === 'Write');
}

test('Claude Code in Vertex mode writes a file through /genai (Claude on Vertex)', { skip: skipWithoutClaudeCode(), timeout: 180_000 }, async (t) => {
  const outcome = await runEndToEnd(t, { name: 'vertex-mode', model: 'claude-sonnet-4-5@20250929', mode: 'vertex', arguments: 'whole' });
  assertUserVisibleOutcome(outcome);
  assert.ok(outcome.clientExchanges.some((exchange) => exchange.url.startsWith('/genai/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict')));
  assertClaudeOnVertex(outcome, 'claude-sonnet-4-5@20250929');
});

test('Claude Code writes a file through /anthropic with vertex/claude-sonnet-4-5@20250929', { skip: skipWithoutClaudeCode(), timeout: 180_000 }, async (t) => {
  const outcome = await runEndToEnd(t, { name: 'anthropic-vertex-claude', model: 'vertex/claude-sonnet-4-5@20250929', mode: 'anthropic', arguments: 'whole' });
  assertUserVisibleOutcome(outcome);
  assertClaudeOnVertex(outcome, 'claude-sonnet-4-5@20250929');
});

test('Claude Code writes a file through /anthropic with vertex/gemini-2.5-pro (streamed partial arguments)', { skip: skipWithoutClaudeCode(), timeout: 180_000 }, async (t) => {
  const outcome = await runEndToEnd(t, { name: 'anthropic-vertex-gemini', model: 'vertex/gemini-2.5-pro', mode: 'anthropic', arguments: 'partial' });
  assertUserVisibleOutcome(outcome);
  assert.ok(outcome.upstreamRequests.every((request) => request.api === 'vertex' && request.publisher === 'google'));
  assertGeminiFollowUp(outcome);
});

test('Claude Code writes a file through /anthropic with gemini/gemini-2.5-flash (Gemini API)', { skip: skipWithoutClaudeCode(), timeout: 180_000 }, async (t) => {
  const outcome = await runEndToEnd(t, { name: 'anthropic-gemini-api', model: 'gemini/gemini-2.5-flash', mode: 'anthropic', arguments: 'whole' });
  assertUserVisibleOutcome(outcome);
  assert.ok(outcome.upstreamRequests.every((request) => request.api === 'gemini-api'));
  assertGeminiFollowUp(outcome);
});
