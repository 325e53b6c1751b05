/**
 * Two gateway processes (`heimdall serve`) sharing one PostgreSQL database and one Redis enforce
 * one budget and one rate limit together: a virtual key created on one replica works on the other,
 * its rate limit holds exactly across both, its budget is never overspent across both, and a
 * revocation on one replica takes effect on the other at once (Redis change notifications), and the
 * request log's live tail on one replica shows the requests the other served (Redis pub/sub).
 * Skipped with a notice when PostgreSQL or Redis is absent, a failure with HEIMDALL_REQUIRE_SERVICES=1.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startMockUpstream, type MockUpstream } from '../src/testing/mock-upstream.js';
import { withTimeout } from '../src/testing/with-timeout.js';
import { openAiChatCompletion, openAiUsage } from '../src/testing/openai-chat-sse.js';
import {
  REDIS_TEST_URL,
  createScratchPostgresDatabase,
  deleteRedisKeys,
  scratchRedisPrefix,
  skipWithoutPostgres,
  skipWithoutRedis,
  type ScratchPostgresDatabase,
} from '../src/testing/services.js';

const ADMIN_TOKEN = 'replica-admin-token-0123456789abcdef';
const cliPath = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const skip = (await skipWithoutPostgres()) || (await skipWithoutRedis());

interface Replica {
  process: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts `heimdall serve --port 0` and resolves with its URL once the banner says it listens. */
function startReplica(configPath: string, appDirectory: string, environment: NodeJS.ProcessEnv): Promise<Replica> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cliPath, 'serve', '--port', '0', '--config', configPath, '--app-dir', appDirectory], {
      env: { ...process.env, ...environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => reject(new Error(`replica did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const match = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ process: child, url: match[1], output: () => output });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`replica exited with ${String(code)}:\n${output}`));
    });
  });
}

function stopReplica(replica: Replica): Promise<void> {
  return new Promise((resolve) => {
    if (replica.process.exitCode !== null) {
      resolve();
      return;
    }
    replica.process.once('exit', () => resolve());
    replica.process.kill('SIGTERM');
  });
}

describe('two gateway replicas on PostgreSQL + Redis', { skip }, () => {
  let upstream: MockUpstream;
  let database: ScratchPostgresDatabase;
  const redisPrefix = scratchRedisPrefix();
  const directories: string[] = [];
  const replicas: Replica[] = [];

  before(async () => {
    upstream = await startMockUpstream(async (_request, response) => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(openAiChatCompletion({ model: 'gpt-test', text: 'from the mock', usage: openAiUsage(10, 10) })));
    });
    database = await createScratchPostgresDatabase();
    const configDirectory = mkdtempSync(join(tmpdir(), 'heimdall-replicas-'));
    directories.push(configDirectory);
    const configPath = join(configDirectory, 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        providers: { openai: { base_url: `${upstream.url}/v1`, keys: [{ value: 'sk-replica-upstream' }] } },
        pricing: { 'openai/gpt-test': { input_per_mtok: 1000, output_per_mtok: 1000 } },
        admin: { token: 'env.TEST_REPLICA_ADMIN_TOKEN' },
        storage: { database_url: database.url, redis_url: REDIS_TEST_URL, redis_key_prefix: redisPrefix },
      }),
    );
    const environment = { TEST_REPLICA_ADMIN_TOKEN: ADMIN_TOKEN, HEIMDALL_ENCRYPTION_KEY: randomBytes(32).toString('hex') };
    // One after the other: the first applies the migrations.
    for (let index = 0; index < 2; index += 1) {
      const appDirectory = mkdtempSync(join(tmpdir(), `heimdall-replica-${index}-`));
      directories.push(appDirectory);
      replicas.push(await startReplica(configPath, appDirectory, environment));
    }
  });

  after(async () => {
    await Promise.all(replicas.map(stopReplica));
    await upstream?.close();
    await database?.drop();
    await deleteRedisKeys(redisPrefix);
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  async function admin(replica: Replica, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const response = await fetch(`${replica.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    assert.ok(response.ok, `${method} ${path} → ${response.status} ${text}`);
    return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  }

  async function createKey(spec: Record<string, unknown>): Promise<{ id: string; secret: string }> {
    const created = await admin(replicas[0], 'POST', '/api/virtual-keys', spec);
    const nested = typeof created.virtual_key === 'object' && created.virtual_key !== null ? (created.virtual_key as Record<string, unknown>) : created;
    const secret = created.secret ?? nested.secret;
    assert.equal(typeof secret, 'string');
    return { id: String(nested.id), secret: String(secret) };
  }

  function infer(replica: Replica, secret: string): Promise<Response> {
    return fetch(`${replica.url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
      body: JSON.stringify({ model: 'openai/gpt-test', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
    });
  }

  it('a key created on one replica works on the other, and its rate limit holds exactly across both', async () => {
    const key = await createKey({ name: 'replicated-rate', rate_limits: [{ requests: 12, window: '1h' }] });
    // One request on each replica first: the key created on the first is known to the second.
    for (const replica of replicas) {
      const warm = await infer(replica, key.secret);
      assert.equal(warm.status, 200);
      await warm.arrayBuffer();
    }
    const responses = await Promise.all(Array.from({ length: 40 }, (_, index) => infer(replicas[index % 2], key.secret)));
    const statuses = responses.map((response) => response.status);
    await Promise.all(responses.map((response) => response.arrayBuffer()));
    // 12 in the window across both replicas: 2 warm-up requests, so exactly 10 of the burst.
    assert.equal(statuses.filter((status) => status === 200).length, 10, statuses.join(','));
    assert.equal(statuses.filter((status) => status === 429).length, 30);
  });

  it('one budget across both replicas: never overspent, charged exactly for what was served', async () => {
    const budgetUsd = 20 * 0.02;
    const key = await createKey({ name: 'replicated-budget', budgets: [{ limit_usd: budgetUsd, period: '1M' }] });
    const responses = await Promise.all(Array.from({ length: 80 }, (_, index) => infer(replicas[index % 2], key.secret)));
    const statuses = responses.map((response) => response.status);
    await Promise.all(responses.map((response) => response.arrayBuffer()));
    const served = statuses.filter((status) => status === 200).length;
    assert.ok(served >= 1 && served <= 20, `served ${served}`);
    assert.ok(statuses.every((status) => status === 200 || status === 400), statuses.join(','));
    let spentUsd = Number.NaN;
    for (let attempt = 0; attempt < 60; attempt += 1) {
      const listed = await admin(replicas[1], 'GET', `/api/budgets?owner_type=virtual_key&owner_id=${key.id}`);
      const first = Array.isArray(listed.data) ? (listed.data[0] as Record<string, unknown>) : undefined;
      const current = first !== undefined && typeof first.current === 'object' && first.current !== null ? (first.current as Record<string, unknown>) : undefined;
      spentUsd = typeof current?.spent_usd === 'number' ? current.spent_usd : Number.NaN;
      if (Math.abs(spentUsd - served * 0.02) < 1e-9) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(Math.abs(spentUsd - served * 0.02) < 1e-9, `spent ${spentUsd} for ${served} served`);
  });

  it('a revocation on one replica takes effect on the other', async () => {
    const key = await createKey({ name: 'replicated-revoke' });
    const first = await infer(replicas[1], key.secret);
    assert.equal(first.status, 200);
    await first.arrayBuffer();
    await admin(replicas[0], 'POST', `/api/virtual-keys/${key.id}/revoke`);
    let status = 0;
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const response = await infer(replicas[1], key.secret);
      status = response.status;
      await response.arrayBuffer();
      if (status === 401) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(status, 401);
  });

  it("the live tail on one replica shows the other replica's requests, each once", async () => {
    const key = await createKey({ name: 'replicated-tail' });
    const abort = new AbortController();
    const tail = await fetch(`${replicas[0].url}/api/logs/tail?virtual_key=${key.id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: abort.signal });
    assert.equal(tail.status, 200);
    const reader = (tail.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    const tailed: Array<Record<string, unknown>> = [];
    /** Reads the tail until `done(buffered text)` holds. */
    const readUntil = async (done: () => boolean): Promise<void> => {
      while (!done()) {
        const chunk = await reader.read();
        if (chunk.done) throw new Error('the tail ended');
        buffered += decoder.decode(chunk.value, { stream: true });
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const event = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const data = event.split('\n').find((line) => line.startsWith('data: '));
          if (event.startsWith('event: log') && data !== undefined) tailed.push(JSON.parse(data.slice('data: '.length)) as Record<string, unknown>);
          else if (event.startsWith(': heimdall request log tail')) tailed.push({ opened: true });
        }
      }
    };
    try {
      // The opening comment comes once the replica listens to the others.
      await withTimeout(readUntil(() => tailed.some((entry) => entry.opened === true)), 20_000, 'the tail did not open');
      const served: string[] = [];
      for (const replica of [replicas[1], replicas[0], replicas[1]]) {
        const response = await infer(replica, key.secret);
        assert.equal(response.status, 200);
        await response.arrayBuffer();
        served.push(replica.url);
        const records = () => tailed.filter((entry) => entry.opened !== true);
        await withTimeout(readUntil(() => records().length >= served.length), 20_000, `the tail on ${replicas[0].url} did not show request ${served.length} (served by ${replica.url})`);
      }
      const records = tailed.filter((entry) => entry.opened !== true);
      assert.equal(records.length, 3);
      assert.equal(new Set(records.map((record) => record.id)).size, 3, 'each record once (no echo)');
      for (const record of records) {
        assert.equal(record.virtualKeyName, 'replicated-tail');
        assert.equal(record.status, 200);
        assert.equal(record.inputTokens, 10);
      }
      // The tail and the shared store agree.
      const listed = await admin(replicas[1], 'GET', `/api/logs?virtual_key=${key.id}`);
      assert.deepEqual(
        (Array.isArray(listed.data) ? (listed.data as Array<Record<string, unknown>>) : []).map((record) => record.id).sort(),
        records.map((record) => record.id).sort(),
      );
    } finally {
      abort.abort();
      await reader.cancel().catch(() => undefined);
    }
  });
});
