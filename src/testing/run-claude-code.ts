import { spawn, spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs the real Claude Code CLI (npm `@anthropic-ai/claude-code`, a devDependency) headless
 * (`claude -p …`) against a local gateway, with a clean environment: a private `HOME`, the
 * gateway as `ANTHROPIC_BASE_URL`, a test credential, the privacy switches that keep it from
 * calling home, and optionally an HTTP(S) proxy on 127.0.0.1 that catches any other traffic.
 */

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Environment that stops Claude Code's own traffic (telemetry, error reports, auto-update,
 * release notes, model-capability and other non-essential calls).
 * @see https://code.claude.com/docs/en/env-vars
 */
export const CLAUDE_CODE_PRIVACY_ENVIRONMENT: Readonly<Record<string, string>> = {
  DISABLE_TELEMETRY: '1',
  DISABLE_ERROR_REPORTING: '1',
  DISABLE_AUTOUPDATER: '1',
  DISABLE_BUG_COMMAND: '1',
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY: '1',
};

/** Whether Claude Code can run here: its binary and `--version` output, or why not. */
export type ClaudeCodeAvailability = { available: true; binary: string; version: string } | { available: false; reason: string };

/** The `claude` binary installed in this repository's node_modules (it is not looked up on PATH). */
export function claudeCodeBinaryPath(): string {
  return resolve(repositoryRoot, 'node_modules', '.bin', 'claude');
}

/**
 * The native binary of the platform package (`@anthropic-ai/claude-code-<platform>-<arch>/claude`),
 * which the wrapper's postinstall copies over its placeholder; used when that postinstall did not run.
 */
export function claudeCodeNativeBinaryPath(): string {
  const executable = process.platform === 'win32' ? 'claude.exe' : 'claude';
  return resolve(repositoryRoot, 'node_modules', '@anthropic-ai', `claude-code-${process.platform}-${process.arch}`, executable);
}

function probe(binary: string): { version: string } | { failure: string } {
  if (!existsSync(binary)) return { failure: `${binary} is absent` };
  const result = spawnSync(realpathSync(binary), ['--version'], { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH ?? '' } });
  if (result.error !== undefined) return { failure: `${binary} --version failed: ${result.error.message}` };
  if (result.status !== 0) return { failure: `${binary} --version exited ${String(result.status)}: ${`${result.stderr}${result.stdout}`.trim().slice(0, 300)}` };
  return { version: result.stdout.trim() };
}

/**
 * Checks that the installed Claude Code starts (`claude --version`) and reports its version: the
 * `node_modules/.bin/claude` wrapper first, then the platform package's native binary.
 */
export function claudeCodeAvailability(): ClaudeCodeAvailability {
  const failures: string[] = [];
  for (const binary of [claudeCodeBinaryPath(), claudeCodeNativeBinaryPath()]) {
    const outcome = probe(binary);
    if ('version' in outcome) return { available: true, binary, version: outcome.version };
    failures.push(outcome.failure);
  }
  return { available: false, reason: `${failures.join('; ')} (run npm install: devDependency @anthropic-ai/claude-code)` };
}

/** How to run Claude Code once. */
export interface ClaudeCodeRunOptions {
  /** The binary; defaults to `claudeCodeBinaryPath()`. */
  binary?: string;
  /** The prompt given to `-p`. */
  prompt: string;
  /** `--model`. */
  model: string;
  /** Further CLI arguments (e.g. `--allowedTools Write --permission-mode acceptEdits`). */
  extraArguments?: string[];
  /** `ANTHROPIC_BASE_URL`, e.g. `http://127.0.0.1:PORT/anthropic`. */
  baseUrl: string;
  /** Working directory (a fresh temp dir). */
  cwd: string;
  /** `HOME` (a fresh temp dir, so no user settings or credentials are read). */
  home: string;
  /** Sent as `ANTHROPIC_AUTH_TOKEN` (a bearer token). Default `test-token`. */
  authToken?: string;
  /** When set, `HTTPS_PROXY`/`HTTP_PROXY` point here and only 127.0.0.1/localhost bypass it. */
  proxyUrl?: string;
  /** Extra environment variables, applied last. */
  environment?: Record<string, string>;
  /** The process is killed (SIGKILL) after this long. Default 120 s. */
  timeoutMs?: number;
}

/** What one run produced. */
export interface ClaudeCodeRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the run was killed for exceeding `timeoutMs`. */
  timedOut: boolean;
  durationMs: number;
  /** The command line, for failure messages. */
  commandLine: string;
}

/** The environment a run gets: nothing inherited but `PATH` (and `TMPDIR`, `LANG` when set). */
export function claudeCodeEnvironment(options: ClaudeCodeRunOptions): Record<string, string> {
  const environment: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: options.home,
    ANTHROPIC_BASE_URL: options.baseUrl,
    ANTHROPIC_AUTH_TOKEN: options.authToken ?? 'test-token',
    ...CLAUDE_CODE_PRIVACY_ENVIRONMENT,
  };
  for (const inherited of ['TMPDIR', 'LANG'] as const) {
    const value = process.env[inherited];
    if (value !== undefined) environment[inherited] = value;
  }
  if (options.proxyUrl !== undefined) {
    Object.assign(environment, {
      HTTPS_PROXY: options.proxyUrl,
      HTTP_PROXY: options.proxyUrl,
      https_proxy: options.proxyUrl,
      http_proxy: options.proxyUrl,
      NO_PROXY: '127.0.0.1,localhost',
      no_proxy: '127.0.0.1,localhost',
    });
  }
  return { ...environment, ...options.environment };
}

/**
 * Runs `claude -p <prompt> --model <model> …` to its end (or until killed after `timeoutMs`) and
 * collects its output. Never rejects for a non-zero exit; rejects only when the process cannot be
 * spawned.
 */
export function runClaudeCode(options: ClaudeCodeRunOptions): Promise<ClaudeCodeRun> {
  const binary = options.binary ?? claudeCodeBinaryPath();
  const argumentList = ['-p', options.prompt, '--model', options.model, ...(options.extraArguments ?? [])];
  const commandLine = [binary, ...argumentList.map((argument) => JSON.stringify(argument))].join(' ');
  const timeoutMs = options.timeoutMs ?? 120_000;
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(binary, argumentList, { cwd: options.cwd, env: claudeCodeEnvironment(options), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    const killer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(killer);
      reject(error);
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(killer);
      resolvePromise({ exitCode, signal, stdout, stderr, timedOut, durationMs: Date.now() - started, commandLine });
    });
  });
}

/** A readable account of a run, for assertion messages. */
export function describeClaudeCodeRun(run: ClaudeCodeRun): string {
  return [
    `command: ${run.commandLine}`,
    `exit code: ${String(run.exitCode)}${run.signal === null ? '' : ` (signal ${run.signal})`}${run.timedOut ? ' — killed after the timeout' : ''}`,
    `duration: ${run.durationMs} ms`,
    `stdout:\n${run.stdout}`,
    `stderr:\n${run.stderr}`,
  ].join('\n');
}
