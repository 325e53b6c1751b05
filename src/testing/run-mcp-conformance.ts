import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs the MCP conformance suite (npm `@modelcontextprotocol/conformance`, a devDependency) in
 * server mode against an MCP endpoint and reads its per-scenario `checks.json` results.
 *
 * On Node 20 the suite's bundle needs a shim (`conformance-node20/`): it imports `fs.globSync`
 * (Node 22+) at the top although server mode never calls it.
 *
 * @see https://github.com/modelcontextprotocol/conformance
 */

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The conformance CLI's entry script. */
export function conformanceCliPath(): string {
  return resolve(repositoryRoot, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
}

/** One check of one scenario, as `checks.json` records it. */
export interface ConformanceCheck {
  id: string;
  name: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  description?: string;
  errorMessage?: string;
}

/** The outcome of one scenario. */
export interface ConformanceScenarioResult {
  scenario: string;
  passed: number;
  failed: number;
  warnings: number;
  failures: ConformanceCheck[];
  warningChecks: ConformanceCheck[];
}

/** What one run of the suite produced. */
export interface ConformanceRun {
  exitCode: number | null;
  timedOut: boolean;
  output: string;
  scenarios: ConformanceScenarioResult[];
  commandLine: string;
}

/** A baseline entry: a scenario expected to fail, and why. */
export interface ConformanceBaselineEntry {
  scenario: string;
  reason: string;
}

/** Reads every `checks.json` below the output directory, one per scenario. */
export function readConformanceResults(outputDirectory: string): ConformanceScenarioResult[] {
  if (!existsSync(outputDirectory)) return [];
  const results: ConformanceScenarioResult[] = [];
  for (const entry of readdirSync(outputDirectory, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const checksPath = join(outputDirectory, entry.name, 'checks.json');
    if (!existsSync(checksPath)) continue;
    const checks = JSON.parse(readFileSync(checksPath, 'utf8')) as ConformanceCheck[];
    const scenario = entry.name.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, '');
    const failures = checks.filter((check) => check.status === 'FAILURE');
    const warningChecks = checks.filter((check) => check.status === 'WARNING');
    results.push({ scenario, passed: checks.filter((check) => check.status === 'SUCCESS').length, failed: failures.length, warnings: warningChecks.length, failures, warningChecks });
  }
  return results.sort((left, right) => left.scenario.localeCompare(right.scenario));
}

/**
 * Runs `conformance server --url <url> --suite <suite>` with `baseline` as its expected-failures
 * file, killed after `timeoutMs`. Never rejects for a failing suite.
 */
export async function runMcpConformance(options: {
  url: string;
  suite?: 'active' | 'all' | 'pending';
  baseline: readonly ConformanceBaselineEntry[];
  timeoutMs?: number;
}): Promise<ConformanceRun> {
  const workDirectory = mkdtempSync(join(tmpdir(), 'heimdall-conformance-'));
  const outputDirectory = join(workDirectory, 'results');
  const baselinePath = join(workDirectory, 'expected-failures.yml');
  writeFileSync(baselinePath, `server:\n${options.baseline.map((entry) => `  - ${entry.scenario}\n`).join('')}${options.baseline.length === 0 ? '  []\n' : ''}`);
  const shim = typeof (fs as { globSync?: unknown }).globSync === 'function' ? [] : ['--import', resolve(repositoryRoot, 'src', 'testing', 'conformance-node20', 'register.mjs')];
  const argumentList = [...shim, conformanceCliPath(), 'server', '--url', options.url, '--suite', options.suite ?? 'all', '-o', outputDirectory];
  if (options.baseline.length > 0) argumentList.push('--expected-failures', baselinePath);
  const commandLine = [process.execPath, ...argumentList].join(' ');
  try {
    const { exitCode, timedOut, output } = await new Promise<{ exitCode: number | null; timedOut: boolean; output: string }>((resolvePromise, reject) => {
      const child = spawn(process.execPath, argumentList, { cwd: workDirectory, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' } });
      let text = '';
      let killed = false;
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      const killer = setTimeout(() => {
        killed = true;
        child.kill('SIGKILL');
      }, options.timeoutMs ?? 180_000);
      child.once('error', (error) => {
        clearTimeout(killer);
        reject(error);
      });
      child.once('close', (code) => {
        clearTimeout(killer);
        resolvePromise({ exitCode: code, timedOut: killed, output: text });
      });
    });
    return { exitCode, timedOut, output, scenarios: readConformanceResults(outputDirectory), commandLine };
  } finally {
    rmSync(workDirectory, { recursive: true, force: true });
  }
}
