import { spawn } from 'node:child_process';
import { claudeCodeEnvironment, type ClaudeCodeRun } from './run-claude-code.js';

/**
 * Runs a Claude Code subcommand other than a headless prompt (`claude mcp add …`, `claude mcp
 * list`) with the same clean environment as `runClaudeCode` (private `HOME`, privacy switches,
 * optional refusing proxy), killed after `timeoutMs`. Never rejects for a non-zero exit.
 */
export function runClaudeCodeCommand(options: {
  binary: string;
  argumentList: string[];
  cwd: string;
  home: string;
  baseUrl: string;
  proxyUrl?: string;
  timeoutMs?: number;
}): Promise<ClaudeCodeRun> {
  const environment = claudeCodeEnvironment({
    prompt: '',
    model: '',
    baseUrl: options.baseUrl,
    cwd: options.cwd,
    home: options.home,
    ...(options.proxyUrl === undefined ? {} : { proxyUrl: options.proxyUrl }),
  });
  const commandLine = [options.binary, ...options.argumentList.map((argument) => JSON.stringify(argument))].join(' ');
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(options.binary, options.argumentList, { cwd: options.cwd, env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const killer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000);
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
