/**
 * The `heimdall` CLI's management commands against a running test gateway (`node --import tsx
 * src/cli.ts …` as a child process): `keys create / list / revoke`, `usage`, `admin create-user`,
 * exit codes (0 done, 1 refused or unreachable, 2 bad command line), and `heimdall serve` itself
 * (banner with the storage and admin access, clean stop on SIGTERM).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startGovernedTestGateway, type GovernedTestGateway } from '../src/testing/governed-test-gateway.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ADMIN_TOKEN = 'cli-test-admin-token-0123456789';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a child: nothing of the developer's (no real keys or admin token). */
function childEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...extra };
}

function runCli(args: string[], options: { input?: string; environment?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, env: childEnvironment(options.environment) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

describe('heimdall keys / usage / admin against a running gateway', () => {
  let gateway: GovernedTestGateway;
  let connection: string[];

  before(async () => {
    gateway = await startGovernedTestGateway({ providers: {}, admin: { token: ADMIN_TOKEN } });
    connection = ['--url', gateway.url, '--admin-token', ADMIN_TOKEN];
    const customer = await fetch(`${gateway.url}/api/customers`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify({ name: 'acme' }) });
    assert.equal(customer.status, 201);
  });
  after(async () => gateway?.close());

  let secret = '';

  it('keys create prints the key once, with its budget; the key works', async () => {
    const result = await runCli(['keys', 'create', '--name', 'ci', '--customer', 'acme', '--budget', '50', '--budget-period', '1M', '--models', 'openai/gpt-4o*, claude-*', ...connection]);
    assert.equal(result.code, 0, result.stderr);
    const match = /^ {2}(hk-[A-Za-z0-9_-]{43})$/m.exec(result.stdout);
    assert.ok(match !== null, result.stdout);
    secret = match[1];
    assert.match(result.stdout, /Created virtual key 'ci'/);
    assert.match(result.stdout, /Budget: \$50\.00 per month\./);
    assert.match(result.stdout, /Models: openai\/gpt-4o\*, claude-\*/);
    assert.ok(result.stdout.includes(`export ANTHROPIC_AUTH_TOKEN=${secret}`));
    const auth = await gateway.running.governance.service.authenticate({ 'x-api-key': secret });
    assert.equal(auth.status, 'valid');
    assert.deepEqual(auth.status === 'valid' && auth.context.virtualKey.allowedModels, ['openai/gpt-4o*', 'claude-*']);
    assert.deepEqual(auth.status === 'valid' && auth.context.budgets.map((budget) => [budget.limitUsd, budget.period]), [[50, '1M']]);
  });

  it('keys create --json, the token from HEIMDALL_ADMIN_TOKEN', async () => {
    const result = await runCli(['keys', 'create', '--name', 'json-key', '--json', '--url', gateway.url], { environment: { HEIMDALL_ADMIN_TOKEN: ADMIN_TOKEN } });
    assert.equal(result.code, 0, result.stderr);
    const created = JSON.parse(result.stdout) as { secret: string; virtual_key: { name: string } };
    assert.equal(created.virtual_key.name, 'json-key');
    assert.match(created.secret, /^hk-/);
  });

  it('keys list shows names, prefixes and states, never secrets', async () => {
    const result = await runCli(['keys', 'list', ...connection]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^NAME\s+KEY\s+STATE\s+OWNER/);
    assert.match(result.stdout, new RegExp(`^ci\\s+${secret.slice(0, 7)}…\\s+active\\s+customer acme`, 'm'));
    assert.ok(!result.stdout.includes(secret));
  });

  it('usage shows the totals and the budget of a key', async () => {
    const result = await runCli(['usage', '--key', 'ci', ...connection]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Usage of virtual key 'ci' from /);
    assert.match(result.stdout, /requests\s+0/);
    assert.match(result.stdout, /Budget: \$0\.00 of \$50\.00 per month spent, \$50\.00 left; resets at /);
  });

  it('keys revoke by name; the key is refused from then on', async () => {
    const result = await runCli(['keys', 'revoke', 'ci', ...connection]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Revoked virtual key 'ci'/);
    const auth = await gateway.running.governance.service.authenticate({ 'x-api-key': secret });
    assert.equal(auth.status === 'invalid' && auth.reason, 'revoked');
    assert.match((await runCli(['keys', 'list', ...connection])).stdout, /^ci\s+\S+\s+revoked/m);
  });

  it('exit 1 when the gateway refuses or cannot be reached, exit 2 for a bad command line', async () => {
    const [unknown, noToken, unreachable, missingName, badOption, badCommand] = await Promise.all([
      runCli(['keys', 'revoke', 'nobody', ...connection]),
      runCli(['keys', 'list', '--url', gateway.url]),
      runCli(['keys', 'list', '--url', 'http://127.0.0.1:9']),
      runCli(['keys', 'create', ...connection]),
      runCli(['keys', 'list', '--colour', 'red']),
      runCli(['frobnicate']),
    ]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /virtual key 'nobody' does not exist/);
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /admin API needs .*pass --admin-token or set HEIMDALL_ADMIN_TOKEN/);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /cannot reach a Heimdall gateway at http:\/\/127\.0\.0\.1:9/);
    assert.equal(missingName.code, 2);
    assert.match(missingName.stderr, /--name is required[\s\S]*heimdall keys create/);
    assert.equal(badOption.code, 2);
    assert.equal(badCommand.code, 2);
  });

  it('admin create-user reads the password from stdin; the user can log in', async () => {
    const result = await runCli(['admin', 'create-user', '--username', 'dana', '--password-stdin', ...connection], { input: 'dana-password-123\n' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Created admin user 'dana'/);
    const login = await fetch(`${gateway.url}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'dana', password: 'dana-password-123' }) });
    assert.equal(login.status, 200);
    const short = await runCli(['admin', 'create-user', '--username', 'eve', '--password-stdin', ...connection], { input: 'short\n' });
    assert.equal(short.code, 1);
    assert.match(short.stderr, /password: at least 12 characters/);
  });
});

describe('heimdall serve', () => {
  let appDirectory: string;
  before(() => {
    appDirectory = mkdtempSync(join(tmpdir(), 'heimdall-serve-'));
  });
  after(() => rmSync(appDirectory, { recursive: true, force: true }));

  it('starts with its store, prints storage and admin access, answers the admin API from loopback, stops on SIGTERM', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--app-dir', appDirectory, '--port', '0'], { cwd: ROOT, env: childEnvironment() });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        const match = /Admin access: .*$/m.test(stdout) ? /listening on (http:\/\/\S+)/.exec(stdout) : null;
        if (match !== null) resolve(match[1]);
      });
      void exited.then((code) => reject(new Error(`serve exited early (${code}): ${stderr}`)));
    });
    try {
      assert.match(stdout, new RegExp(`Storage: +SQLite at ${join(appDirectory, 'heimdall.db').replaceAll('/', '\\/')}; counters in memory \\(this process only\\)`));
      assert.match(stdout, /Admin API: +http:\/\/127\.0\.0\.1:\d+\/api \(OpenAPI: .*\/api\/openapi\.json\)/);
      assert.match(stdout, /Admin access: +loopback only: no admin credential configured/);
      const session = (await (await fetch(`${url}/api/auth/session`)).json()) as { principal: { kind: string } };
      assert.equal(session.principal.kind, 'loopback');
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
  });
});
