/**
 * Heimdall's benchmark: `npm run bench` (builds, then runs this file).
 *
 * Three processes, so that no two share an event loop: this one (the autocannon load generator),
 * the gateway (`node <flags> dist/cli.js serve --port 0 --config <bench config>`, the real CLI with
 * the Node flags of the build's `npm start` script), and a
 * mock upstream (`bench/mock-upstream-process.ts`, pre-serialised answers on a bare TCP server);
 * plus, when a `bare-proxy` scenario is selected, the reference proxy
 * (`bench/bare-proxy-process.ts`, `node:http` + one `undici` Pool, nothing else, with the same
 * Node flags as the gateway), and when a `bare-translator` one is, the reference translator
 * (`bench/bare-translator-process.ts`: the same proxy running the measured build's translation
 * modules and nothing else of the gateway).
 * Every scenario is checked with one probe request first (full response validated), then loaded
 * for a warm-up and a measured run; every response of the measured run is checked too (non-2xx,
 * transport errors, timeouts and body mismatches are counted and printed).
 *
 * Scenarios (each with a small body and with a realistic ~85 KB Claude Code body):
 * - `direct-anthropic`: the mock's Anthropic SSE route hit directly (baseline);
 * - `direct-openai`: the mock's OpenAI SSE route hit directly (baseline of the translated path);
 * - `passthrough`: Anthropic Messages through the gateway to the mock, relayed byte for byte;
 * - `translated`: Anthropic Messages (`openai/gpt-bench`) translated to OpenAI Chat Completions
 *   and back, the upstream streaming a tool call;
 * - `bare-proxy`: the same request as `passthrough` through the bare undici proxy to the mock's
 *   Anthropic route, relayed chunk by chunk: the cheapest honest Node proxy on this machine, the
 *   reference the gateway's figures are read against (measured, not quoted: its CPU ms/req, from
 *   its own pid, is in the same column as the gateway's); it runs once per round, like the direct
 *   baselines, whatever the number of gateway builds;
 * - `bare-translator`: the same request as `translated` through that bare proxy plus the measured
 *   build's own translation (request parse and conversion, SSE reading, stream translation and
 *   Anthropic encoding) and nothing else: what translating costs by itself, so that the translated
 *   path's figures split into the bare proxy, the translation and the rest of the gateway (routing,
 *   governance, the request log, metrics, tracing); also once per round;
 * - `latency/*`: the same at one connection (small body), to measure the added latency
 *   (gateway or bare proxy p50 − direct p50).
 *
 * Latencies are taken per response from autocannon's `response` event (its own histogram has
 * 1 ms resolution). CPU time comes from `/proc/<pid>/stat` (Linux), per process: gateway (or bare
 * proxy), mock, this process, and everything else on the machine ("other CPU": results taken while
 * other processes compete for the cores are flagged). The gateway's figures are also printed
 * relative to the bare proxy's (req/s and CPU ms/req, body for body).
 *
 * Options (flags, or environment variables): `--duration S` (BENCH_DURATION, default 10),
 * `--warmup S` (BENCH_WARMUP, default 2), `--connections N` (BENCH_CONNECTIONS, default 64),
 * `--scenario TEXT` (BENCH_SCENARIO; repeatable or comma-separated; substring of a scenario id),
 * `--profile` (run the gateway under `--cpu-prof` and print its hottest functions),
 * `--gateway DIR` (the build to measure, default `dist/`), `--compare DIR` (also run another
 * build, alternating, and print before/after), `--paired` (load both builds at the same time, so
 * that other load on the machine hits both alike), `--rounds N` (BENCH_ROUNDS), `--wait-quiet S`
 * (BENCH_WAIT_QUIET: wait for other load to stop before each measured run), `--gateway-config JSON`
 * (config sections merged into the bench config), `--output FILE` (default
 * `.test-artifacts/bench.json`). See `--help`.
 */
import autocannon from 'autocannon';
import { fork, spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { claudeCodeBody, serialiseBody, smallBody, type BenchBody } from './bench-bodies.js';
import { MOCK_OPENAI_USAGE, MOCK_TOOL_ARGUMENTS, MOCK_TOOL_CALL, anthropicSseBody, openAiSseBody } from './mock-responses.js';
import { summariseCpuProfile } from './summarize-cpu-profile.js';

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------------------------
// Options

/** Above this much CPU used by other processes during a run (percent of one core), the report warns. */
const OTHER_CPU_WARNING_PERCENT = 15;

interface BenchOptions {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  scenarioFilters: string[];
  profile: boolean;
  outputPath: string;
  /** The gateway build measured (a `dist` directory with `package.json` one level up); default `dist/`. */
  gatewayDistDirectory: string;
  /** Another build of the gateway to measure beside it, alternating runs. */
  compareDistDirectory?: string;
  /** Rounds of every scenario (alternating gateways when comparing). */
  rounds: number;
  /** With several gateway builds: load them at the same time instead of one after the other. */
  paired: boolean;
  /** Longest wait, in seconds, for other processes to go quiet before each measured run (0: no wait). */
  waitQuietSeconds: number;
  /** Top-level config sections merged into the bench's gateway config (e.g. `{"logging":{"enabled":false}}`). */
  extraConfig: Record<string, unknown>;
  /** Also run the same build with the request log off (`logging.enabled: false`), alternating, and print the cost of logging per request. */
  loggingCost: boolean;
}

const USAGE = `Usage: npm run bench -- [options]
  --duration S      measured seconds per scenario (default 10; env BENCH_DURATION)
  --warmup S        warm-up seconds per scenario (default 2; env BENCH_WARMUP)
  --connections N   concurrent connections for throughput scenarios (default 64; env BENCH_CONNECTIONS)
  --scenario TEXT   only scenarios whose id contains TEXT (repeatable, comma-separated; env BENCH_SCENARIO)
                    ids: direct-anthropic/small, passthrough/claude-code, translated/small, bare-proxy/small,
                    latency/passthrough, latency/bare-proxy, …
                    bare-proxy/small, bare-proxy/claude-code and latency/bare-proxy measure a bare undici
                    proxy (bench/bare-proxy-process.ts) as the reference for the gateway's figures;
                    bare-translator/* the same proxy plus the gateway's translation alone
                    (bench/bare-translator-process.ts), the reference for the translated path
  --profile         run the gateway under node --cpu-prof and print its hottest functions
  --gateway DIR     the gateway build to measure (default dist/; a dist directory with package.json one level up)
  --compare DIR     also measure the gateway built in DIR, alternating runs, and print the difference
                    (the direct and bare-proxy scenarios run once per round, not once per build)
  --rounds N        run every scenario N times (default 1; env BENCH_ROUNDS); medians are compared
  --paired          with --compare: load both builds at the same time (each with the scenario's
                    connections), so that other load on the machine hits both alike
  --wait-quiet S    before each measured run, wait up to S seconds for other processes on the
                    machine to use less than ${OTHER_CPU_WARNING_PERCENT}% of a core (default 0; env BENCH_WAIT_QUIET)
  --gateway-config JSON
                    top-level config sections merged into the gateway's bench config, e.g.
                    '{"logging":{"enabled":false}}' to measure without the request log (env BENCH_GATEWAY_CONFIG)
  --logging-cost    also run the same build with the request log off, alternating, and print the cost of
                    logging per request (CPU µs/req and p50 latency, on minus off; env BENCH_LOGGING_COST=1)
  --output FILE     JSON results (default .test-artifacts/bench.json)
Environment only: BENCH_NODE_FLAGS  extra Node flags for the measured build, space-separated
                    (e.g. '--heap-prof --heap-prof-dir=/tmp/heap' or '--trace-gc');
                  BENCH_GATEWAY_OUTPUT=FILE  the gateway's stdout and stderr also go to FILE`;

function positiveNumber(text: string | undefined, fallback: number, name: string, allowZero = false): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) throw new Error(`${name}: not a ${allowZero ? 'non-negative' : 'positive'} number: ${text}`);
  return value;
}

function parseOptions(argv: string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      scenario: { type: 'string', multiple: true },
      profile: { type: 'boolean' },
      gateway: { type: 'string' },
      compare: { type: 'string' },
      rounds: { type: 'string' },
      paired: { type: 'boolean' },
      'wait-quiet': { type: 'string' },
      'gateway-config': { type: 'string' },
      'logging-cost': { type: 'boolean' },
      output: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    console.log(USAGE);
    return undefined;
  }
  const environment = process.env;
  const filters = (values.scenario ?? (environment.BENCH_SCENARIO === undefined ? [] : [environment.BENCH_SCENARIO]))
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
  const extraConfigText = values['gateway-config'] ?? environment.BENCH_GATEWAY_CONFIG;
  let extraConfig: Record<string, unknown> = {};
  if (extraConfigText !== undefined && extraConfigText !== '') {
    const parsed: unknown = JSON.parse(extraConfigText);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('--gateway-config: not a JSON object');
    extraConfig = parsed as Record<string, unknown>;
  }
  const loggingCost = values['logging-cost'] === true || environment.BENCH_LOGGING_COST === '1';
  if (loggingCost && values.compare !== undefined) throw new Error('--logging-cost and --compare cannot be combined');
  return {
    extraConfig,
    loggingCost,
    durationSeconds: Math.round(positiveNumber(values.duration ?? environment.BENCH_DURATION, 10, '--duration')),
    warmupSeconds: Math.round(positiveNumber(values.warmup ?? environment.BENCH_WARMUP, 2, '--warmup', true)),
    connections: Math.round(positiveNumber(values.connections ?? environment.BENCH_CONNECTIONS, 64, '--connections')),
    scenarioFilters: filters,
    profile: values.profile === true,
    gatewayDistDirectory: resolve(values.gateway ?? join(repositoryRoot, 'dist')),
    compareDistDirectory: values.compare === undefined ? undefined : resolve(values.compare),
    rounds: Math.round(positiveNumber(values.rounds ?? environment.BENCH_ROUNDS, 1, '--rounds')),
    paired: values.paired === true,
    waitQuietSeconds: positiveNumber(values['wait-quiet'] ?? environment.BENCH_WAIT_QUIET, 0, '--wait-quiet', true),
    outputPath: resolve(repositoryRoot, values.output ?? join('.test-artifacts', 'bench.json')),
  };
}

// ---------------------------------------------------------------------------------------------
// Processes and CPU time

const clockTicksPerSecond = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time used so far by all these processes together, ms (undefined if any cannot be read). */
function processesCpuMs(pids: number[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    const used = processCpuMs(pid);
    if (used === undefined) return undefined;
    total += used;
  }
  return total;
}

/** CPU time (user + system) a process has used so far, in ms, from `/proc/<pid>/stat` (Linux). */
function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of proc(5) (utime, stime); `fields` starts at field 3.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSecond;
  } catch {
    return undefined;
  }
}

/** Busy CPU time of the whole machine (all cores, all processes) so far, in ms, from `/proc/stat` (Linux). */
function machineBusyCpuMs(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal …: busy is all but idle and iowait.
    const busyTicks = fields.slice(0, 8).reduce((sum, value, index) => (index === 3 || index === 4 ? sum : sum + value), 0);
    return (busyTicks * 1000) / clockTicksPerSecond;
  } catch {
    return undefined;
  }
}

/**
 * Waits (up to `maxSeconds`) until the processes other than the bench's own use less than
 * {@link OTHER_CPU_WARNING_PERCENT}% of a core, sampled over one-second windows.
 */
async function waitForQuietMachine(maxSeconds: number, ownPids: number[]): Promise<void> {
  const deadline = Date.now() + maxSeconds * 1000;
  const ownUsage = (): number | undefined => {
    const children = processesCpuMs(ownPids);
    return children === undefined ? undefined : ownCpuMs() + children;
  };
  for (;;) {
    const machineBefore = machineBusyCpuMs();
    const ownBefore = ownUsage();
    await sleep(1000);
    const machineAfter = machineBusyCpuMs();
    const ownAfter = ownUsage();
    if (machineBefore === undefined || machineAfter === undefined || ownBefore === undefined || ownAfter === undefined) return;
    const otherPercent = (100 * (machineAfter - machineBefore - (ownAfter - ownBefore))) / 1000;
    if (otherPercent < OTHER_CPU_WARNING_PERCENT) return;
    if (Date.now() >= deadline) {
      process.stdout.write(` (machine still busy: ${otherPercent.toFixed(0)}% of a core used by others)`);
      return;
    }
  }
}

function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Child processes to stop when the bench is interrupted (Ctrl-C) rather than finishing. */
const childProcesses = new Set<ChildProcess>();

function stopChildrenAndExit(signal: NodeJS.Signals): void {
  for (const child of childProcesses) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

interface MockUpstreamProcess {
  child: ChildProcess;
  url: string;
  counts(): Promise<Record<string, number>>;
}

/**
 * Forks one of the bench's helper processes (`bench/<file>`, through tsx) and waits for its
 * `{type:'ready', port}` IPC message. @throws when it exits or is not ready within 20 s
 */
async function forkHelperProcess(file: string, args: string[], name: string, nodeFlags: readonly string[] = []): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(join(repositoryRoot, 'bench', file), args, {
    execArgv: [...nodeFlags, '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  childProcesses.add(child);
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 20 s`)), 20_000);
    child.once('exit', (code) => reject(new Error(`${name} exited (${code})`)));
    child.on('message', (message: { type?: string; port?: number }) => {
      if (message.type === 'ready' && typeof message.port === 'number') {
        clearTimeout(timer);
        resolvePort(message.port);
      }
    });
  });
  return { child, port };
}

async function startMockUpstream(): Promise<MockUpstreamProcess> {
  const { child, port } = await forkHelperProcess('mock-upstream-process.ts', [], 'mock upstream');
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    counts: () =>
      new Promise((resolveCounts) => {
        const listener = (message: { type?: string; counts?: Record<string, number> }): void => {
          if (message.type !== 'counts' || message.counts === undefined) return;
          child.off('message', listener);
          resolveCounts(message.counts);
        };
        child.on('message', listener);
        child.send({ type: 'counts' });
      }),
  };
}

/** A reference proxy (`bench/bare-proxy-process.ts` or `bench/bare-translator-process.ts`), started only when one of its scenarios is selected. */
interface ReferenceProcess {
  child: ChildProcess;
  url: string;
}

/** The reference proxies of a run, each absent when none of its scenarios is selected. */
interface ReferenceProxies {
  bareProxy?: ReferenceProcess;
  bareTranslator?: ReferenceProcess;
}

/** The reference process that serves a target, if the target is one. */
function referenceFor(target: Target, references: ReferenceProxies): ReferenceProcess | undefined {
  if (target === 'bare-proxy') return references.bareProxy;
  if (target === 'bare-translator') return references.bareTranslator;
  return undefined;
}

/** @param nodeFlags the Node flags the measured gateway build is started with (its `npm start`), so both run with the same runtime settings */
async function startBareProxy(mockUrl: string, nodeFlags: readonly string[]): Promise<ReferenceProcess> {
  const { child, port } = await forkHelperProcess('bare-proxy-process.ts', [mockUrl], 'bare proxy', nodeFlags);
  return { child, url: `http://127.0.0.1:${port}` };
}

/** @param distDirectory the measured build, whose translation modules it runs; nodeFlags as {@link startBareProxy} */
async function startBareTranslator(mockUrl: string, distDirectory: string, nodeFlags: readonly string[]): Promise<ReferenceProcess> {
  const { child, port } = await forkHelperProcess('bare-translator-process.ts', [mockUrl, resolve(distDirectory)], 'bare translator', nodeFlags);
  return { child, url: `http://127.0.0.1:${port}` };
}

interface GatewayProcess {
  child: ChildProcess;
  url: string;
  output(): string;
}

/** A gateway build under test: `dist/`, or the `--compare` one. */
interface GatewayVariant {
  label: string;
  process: GatewayProcess;
}

/**
 * The Node flags a build's `npm start` runs the gateway with: the `--` options between `node` and
 * the script in its `package.json` start script (e.g. `--max-semi-space-size=64`), so that the bench
 * measures the gateway as users start it. A build without any gets none.
 */
function startScriptNodeFlags(distDirectory: string): string[] {
  const packagePath = join(distDirectory, '..', 'package.json');
  if (!existsSync(packagePath)) return [];
  const start = (JSON.parse(readFileSync(packagePath, 'utf8')) as { scripts?: Record<string, string> }).scripts?.start ?? '';
  const words = start.split(/\s+/);
  if (words[0] !== 'node') return [];
  const flags: string[] = [];
  for (const word of words.slice(1)) {
    if (!word.startsWith('--')) break;
    flags.push(word);
  }
  return flags;
}

/** `node <flags> <dist>/cli.js`, as printed in the bench's header. */
function nodeCommand(flags: readonly string[], distDirectory: string): string {
  return ['node', ...flags, `${distDirectory}/cli.js`].join(' ');
}

async function startGatewayProcess(distDirectory: string, configPath: string, appDirectory: string, nodeFlags: string[]): Promise<GatewayProcess> {
  const child = spawn(
    process.execPath,
    [...nodeFlags, join(distDirectory, 'cli.js'), 'serve', '--port', '0', '--host', '127.0.0.1', '--config', configPath, '--app-dir', appDirectory],
    { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } },
  );
  childProcesses.add(child);
  let output = '';
  // BENCH_GATEWAY_OUTPUT=FILE: the gateway's stdout and stderr also go to FILE (e.g. with BENCH_NODE_FLAGS='--trace-gc').
  const outputFile = process.env.BENCH_GATEWAY_OUTPUT;
  if (outputFile !== undefined && outputFile !== '') {
    const file = createWriteStream(outputFile, { flags: 'a' });
    child.stdout?.pipe(file);
    child.stderr?.pipe(file);
  }
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    output += text;
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start within 20 s:\n${output}`)), 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code}):\n${output}`));
    });
    child.stdout?.on('data', (text: string) => {
      output += text;
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolvePort(Number(match[1]));
      }
    });
  });
  return { child, url: `http://127.0.0.1:${port}`, output: () => output };
}

async function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// Scenarios

type Target = 'direct-anthropic' | 'direct-openai' | 'passthrough' | 'translated' | 'bare-proxy' | 'bare-translator';

/** Whether a target goes through a gateway build (and so runs once per build, not once per round). */
function isViaGateway(target: Target): boolean {
  return target === 'passthrough' || target === 'translated';
}

interface Scenario {
  id: string;
  group: 'throughput' | 'latency';
  target: Target;
  body: BenchBody;
  connections: number;
}

/** Label of the gateway built in `dist/`. */
/** Label of the same build run with the request log off (`--logging-cost`). */
const LOGGING_OFF_GATEWAY = 'logging-off';
const CURRENT_GATEWAY = 'dist';

const PASSTHROUGH_MODEL = 'claude-sonnet-4-5-20250929';
const TRANSLATED_MODEL = 'openai/gpt-bench';

/** Claude Code's own request headers (from the captured request), minus the credential. */
const CLIENT_HEADERS: Record<string, string> = {
  accept: 'application/json',
  'content-type': 'application/json',
  'user-agent': 'claude-cli/2.1.197 (external, sdk-cli)',
  'x-app': 'cli',
  'anthropic-version': '2023-06-01',
  'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27',
  'x-stainless-timeout': '600',
};

interface ScenarioRequest {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Cheap check of every response body during the load run. */
  verifyBody: (body: string) => boolean;
  /** Full check of the probe response; returns a problem, or undefined when correct. */
  validate: (response: ProbeResponse) => string | undefined;
}

function requestFor(scenario: Scenario, gatewayUrl: string, mockUrl: string, references: ReferenceProxies): ScenarioRequest {
  switch (scenario.target) {
    case 'direct-anthropic':
      return {
        url: `${mockUrl}/v1/messages`,
        headers: { ...CLIENT_HEADERS, 'x-api-key': 'bench' },
        body: serialiseBody(scenario.body, PASSTHROUGH_MODEL),
        verifyBody: (body) => body === anthropicSseBody,
        validate: (response) => validateExactSse(response, anthropicSseBody),
      };
    case 'direct-openai':
      return {
        url: `${mockUrl}/v1/chat/completions`,
        headers: { ...CLIENT_HEADERS, authorization: 'Bearer bench' },
        body: serialiseBody(scenario.body, 'gpt-bench'),
        verifyBody: (body) => body === openAiSseBody,
        validate: (response) => validateExactSse(response, openAiSseBody),
      };
    case 'passthrough':
      return {
        url: `${gatewayUrl}/anthropic/v1/messages?beta=true`,
        headers: { ...CLIENT_HEADERS, 'x-api-key': 'client-credential-ignored' },
        body: serialiseBody(scenario.body, PASSTHROUGH_MODEL),
        verifyBody: (body) => body === anthropicSseBody,
        validate: (response) =>
          validateExactSse(response, anthropicSseBody) ??
          (response.headers['x-heimdall-provider'] === 'anthropic' ? undefined : `x-heimdall-provider: ${String(response.headers['x-heimdall-provider'])}`),
      };
    case 'translated':
    case 'bare-translator': {
      const baseUrl = scenario.target === 'translated' ? gatewayUrl : references.bareTranslator?.url;
      if (baseUrl === undefined) throw new Error('bare translator not started');
      return {
        url: `${baseUrl}/anthropic/v1/messages?beta=true`,
        headers: { ...CLIENT_HEADERS, 'x-api-key': 'client-credential-ignored' },
        body: serialiseBody(scenario.body, TRANSLATED_MODEL),
        verifyBody: (body) =>
          body.startsWith('event: message_start\n') &&
          body.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n') &&
          body.includes('"stop_reason":"tool_use"') &&
          body.includes('"input_json_delta"'),
        validate: validateTranslatedStream,
      };
    }
    case 'bare-proxy':
      if (references.bareProxy === undefined) throw new Error('bare proxy not started');
      // The passthrough's request, byte for byte (the proxy ignores the path and the client's key);
      // the answer must be the mock's stream unchanged, as for direct-anthropic.
      return {
        url: `${references.bareProxy.url}/anthropic/v1/messages?beta=true`,
        headers: { ...CLIENT_HEADERS, 'x-api-key': 'client-credential-ignored' },
        body: serialiseBody(scenario.body, PASSTHROUGH_MODEL),
        verifyBody: (body) => body === anthropicSseBody,
        validate: (response) => validateExactSse(response, anthropicSseBody),
      };
  }
}

function buildScenarios(options: BenchOptions, bodies: BenchBody[]): Scenario[] {
  const scenarios: Scenario[] = [];
  const targets: Target[] = ['direct-anthropic', 'bare-proxy', 'passthrough', 'direct-openai', 'bare-translator', 'translated'];
  for (const body of bodies) {
    for (const target of targets) {
      scenarios.push({ id: `${target}/${body.name}`, group: 'throughput', target, body, connections: options.connections });
    }
  }
  const small = bodies.find((body) => body.name === 'small') ?? bodies[0];
  for (const target of targets) scenarios.push({ id: `latency/${target}`, group: 'latency', target, body: small, connections: 1 });
  if (options.scenarioFilters.length === 0) return scenarios;
  return scenarios.filter((scenario) => options.scenarioFilters.some((filter) => scenario.id.includes(filter)));
}

// ---------------------------------------------------------------------------------------------
// Response validation

interface ProbeResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function probe(request: ScenarioRequest): Promise<ProbeResponse> {
  return new Promise((resolveResponse, reject) => {
    const outgoing = httpRequest(request.url, { method: 'POST', headers: { ...request.headers, 'content-length': String(request.body.length) }, agent: false }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => resolveResponse({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks).toString('utf8') }));
      incoming.on('error', reject);
    });
    outgoing.setTimeout(10_000, () => outgoing.destroy(new Error('probe timed out after 10 s')));
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

function describeResponse(response: ProbeResponse): string {
  return `${response.status} ${response.body.length > 400 ? `${response.body.slice(0, 400)}…` : response.body}`;
}

function validateExactSse(response: ProbeResponse, expected: string): string | undefined {
  if (response.status !== 200) return `expected 200, got ${describeResponse(response)}`;
  if (!String(response.headers['content-type']).startsWith('text/event-stream')) return `content-type ${String(response.headers['content-type'])}`;
  if (response.body !== expected) return `body differs from the upstream's: ${describeResponse(response)}`;
  return undefined;
}

interface SseMessage {
  event: string;
  data: Record<string, unknown>;
}

function parseSse(text: string): SseMessage[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((line) => line.startsWith('event: '))?.slice('event: '.length) ?? '';
      const data = lines.find((line) => line.startsWith('data: '))?.slice('data: '.length) ?? '{}';
      return { event, data: JSON.parse(data) as Record<string, unknown> };
    });
}

/** The translated stream must be a well-formed Anthropic stream carrying the mock's tool call. */
function validateTranslatedStream(response: ProbeResponse): string | undefined {
  if (response.status !== 200) return `expected 200, got ${describeResponse(response)}`;
  if (!String(response.headers['content-type']).startsWith('text/event-stream')) return `content-type ${String(response.headers['content-type'])}`;
  let events: SseMessage[];
  try {
    events = parseSse(response.body);
  } catch (error) {
    return `unparseable SSE (${(error as Error).message}): ${describeResponse(response)}`;
  }
  const names = events.map((event) => event.event).filter((name) => name !== 'ping');
  const expectedNames = ['message_start', 'content_block_start', ...Array<string>(names.length - 5).fill('content_block_delta'), 'content_block_stop', 'message_delta', 'message_stop'];
  if (!isDeepStrictEqual(names, expectedNames) || names.length < 6) return `unexpected event sequence ${names.join(', ')}`;
  const start = events.find((event) => event.event === 'content_block_start')?.data.content_block as Record<string, unknown> | undefined;
  if (start?.type !== 'tool_use' || start.name !== MOCK_TOOL_CALL.name) return `unexpected content_block_start ${JSON.stringify(start)}`;
  const argumentsText = events
    .filter((event) => event.event === 'content_block_delta')
    .map((event) => (event.data.delta as Record<string, unknown>).partial_json)
    .join('');
  let parsedArguments: unknown;
  try {
    parsedArguments = JSON.parse(argumentsText);
  } catch {
    return `tool arguments are not JSON: ${argumentsText}`;
  }
  if (!isDeepStrictEqual(parsedArguments, MOCK_TOOL_ARGUMENTS)) return `tool arguments ${argumentsText}`;
  const messageDelta = events.find((event) => event.event === 'message_delta')?.data;
  const delta = messageDelta?.delta as Record<string, unknown> | undefined;
  const usage = messageDelta?.usage as Record<string, unknown> | undefined;
  if (delta?.stop_reason !== 'tool_use') return `stop_reason ${String(delta?.stop_reason)}`;
  if (usage?.output_tokens !== MOCK_OPENAI_USAGE.completion_tokens || usage.input_tokens !== MOCK_OPENAI_USAGE.prompt_tokens) {
    return `usage ${JSON.stringify(usage)}`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Load runs

interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

interface ErrorSummary {
  non2xx: number;
  statusCodes: Record<string, number>;
  transportErrors: number;
  timeouts: number;
  mismatches: number;
  /** The first mismatched body or transport error, for the report. */
  sample?: string;
}

interface ScenarioResult {
  id: string;
  /** Which gateway build served it (`dist`, or the `--compare` one); null for the direct baselines and the bare proxy. */
  gateway: string | null;
  round: number;
  group: Scenario['group'];
  target: Target;
  body: BenchBody['name'];
  bodyBytes: number;
  connections: number;
  durationSeconds: number;
  /** Responses received (any status). */
  responses: number;
  /** 2xx responses per second. */
  requestsPerSecond: number;
  latencyMs: LatencySummary;
  /**
   * Gateway CPU time per response, ms; for `bare-proxy`, the bare proxy's (from its own pid, the
   * same way); null for the direct baselines, which have no proxy.
   */
  gatewayCpuMsPerRequest: number | null;
  /** Same process as {@link gatewayCpuMsPerRequest}: percent of one core over the run. */
  gatewayCpuPercent: number | null;
  mockCpuPercent: number | null;
  loadGeneratorCpuPercent: number;
  /**
   * CPU used by everything else on the machine during the run (percent of one core): other
   * processes compete for the same cores and make the figures unreliable when this is high.
   */
  otherCpuPercent: number | null;
  errors: ErrorSummary;
  errorCount: number;
}

interface FailedScenario {
  id: string;
  gateway: string | null;
  round: number;
  failure: string;
}

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank];
}

function summariseLatencies(samples: number[]): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted.length === 0 ? 0 : sorted[sorted.length - 1],
    mean: sorted.length === 0 ? 0 : sum / sorted.length,
  };
}

interface LoadRun {
  result: autocannon.Result;
  /** Latency of each 2xx response, ms (autocannon's own histogram only has 1 ms resolution). */
  latencies: number[];
  responses: number;
  sample?: string;
}

function runLoad(request: ScenarioRequest, connections: number, durationSeconds: number): Promise<LoadRun> {
  const latencies: number[] = [];
  let responses = 0;
  let sample: string | undefined;
  const instance = autocannon({
    url: request.url,
    method: 'POST',
    headers: request.headers,
    body: request.body,
    connections,
    duration: durationSeconds,
    timeout: 10,
    pipelining: 1,
    verifyBody: request.verifyBody,
    renderProgressBar: false,
    renderResultsTable: false,
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
    responses += 1;
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTimeMs);
  });
  instance.on('reqMismatch', (body: string) => {
    sample ??= `mismatched body: ${body.length > 400 ? `${body.slice(0, 400)}…` : body}`;
  });
  instance.on('reqError', (error: Error) => {
    sample ??= `transport error: ${error.message}`;
  });
  return Promise.resolve(instance).then((result) => ({ result, latencies, responses, sample }));
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, milliseconds));
}

/**
 * Runs one scenario: a probe per gateway build (full response check), a warm-up, then the
 * measured run. Given several builds (`--paired`), it loads them all at the same time, each with
 * the scenario's connections, so that whatever else the machine does hits them alike.
 */
async function runScenario(
  scenario: Scenario,
  options: BenchOptions,
  gateways: GatewayVariant[],
  mock: MockUpstreamProcess,
  references: ReferenceProxies,
  benchPids: number[],
  round: number,
): Promise<Array<ScenarioResult | FailedScenario>> {
  const viaGateway = isViaGateway(scenario.target);
  const variants = viaGateway ? gateways : [gateways[0]];
  const requests = variants.map((gateway) => requestFor(scenario, gateway.process.url, mock.url, references));
  const problems: Array<string | undefined> = [];
  for (const request of requests) {
    try {
      problems.push(request.validate(await probe(request)));
    } catch (error) {
      problems.push(`probe failed: ${(error as Error).message}`);
    }
  }
  if (problems.some((problem) => problem !== undefined)) {
    return variants.map((gateway, index) => ({
      id: scenario.id,
      gateway: viaGateway ? gateway.label : null,
      round,
      failure: problems[index] ?? 'not run: the probe of another build of this pair failed',
    }));
  }

  if (options.warmupSeconds > 0) await Promise.all(requests.map((request) => runLoad(request, scenario.connections, options.warmupSeconds)));
  // The proxy whose CPU is reported per request: each gateway build, or the reference proxy; none
  // for the direct baselines.
  const proxyPids = variants.map((gateway): number | undefined => {
    if (viaGateway) return gateway.process.child.pid;
    return referenceFor(scenario.target, references)?.child.pid;
  });
  const readProxies = (): Array<number | undefined> => proxyPids.map((pid) => (pid === undefined ? undefined : processCpuMs(pid)));
  const mockPid = mock.child.pid ?? -1;
  if (options.waitQuietSeconds > 0) await waitForQuietMachine(options.waitQuietSeconds, benchPids);
  await sleep(200);
  const proxiesBefore = readProxies();
  const mockBefore = processCpuMs(mockPid);
  // Every process of the bench, idle ones included: "other CPU" is what none of them used.
  const benchBefore = processesCpuMs(benchPids);
  const ownBefore = ownCpuMs();
  const machineBefore = machineBusyCpuMs();
  const runs = await Promise.all(requests.map((request) => runLoad(request, scenario.connections, options.durationSeconds)));
  const proxiesAfter = readProxies();
  const mockAfter = processCpuMs(mockPid);
  const benchAfter = processesCpuMs(benchPids);
  const ownAfter = ownCpuMs();
  const machineAfter = machineBusyCpuMs();

  const proxyCpuMs = proxyPids.map((_, index) => {
    const before = proxiesBefore[index];
    const after = proxiesAfter[index];
    return before === undefined || after === undefined ? undefined : after - before;
  });
  const mockCpuMs = mockBefore === undefined || mockAfter === undefined ? undefined : mockAfter - mockBefore;
  const benchCpuMs = benchBefore === undefined || benchAfter === undefined ? undefined : benchAfter - benchBefore;
  return variants.map((gateway, index): ScenarioResult => {
    const run = runs[index];
    const { result } = run;
    const wallMs = result.duration * 1000;
    const cpuMs = proxyCpuMs[index];
    const statusCodes: Record<string, number> = {};
    for (const [code, stats] of Object.entries(result.statusCodeStats)) statusCodes[code] = stats.count;
    const errors: ErrorSummary = {
      non2xx: result.non2xx,
      statusCodes,
      transportErrors: result.errors - result.timeouts,
      timeouts: result.timeouts,
      mismatches: result.mismatches,
      sample: run.sample,
    };
    return {
      id: scenario.id,
      gateway: viaGateway ? gateway.label : null,
      round,
      group: scenario.group,
      target: scenario.target,
      body: scenario.body.name,
      bodyBytes: requests[index].body.length,
      connections: scenario.connections,
      durationSeconds: result.duration,
      responses: run.responses,
      requestsPerSecond: run.latencies.length / result.duration,
      latencyMs: summariseLatencies(run.latencies),
      gatewayCpuMsPerRequest: cpuMs !== undefined && run.responses > 0 ? cpuMs / run.responses : null,
      gatewayCpuPercent: cpuMs !== undefined ? (100 * cpuMs) / wallMs : null,
      mockCpuPercent: mockCpuMs === undefined ? null : (100 * mockCpuMs) / wallMs,
      loadGeneratorCpuPercent: (100 * (ownAfter - ownBefore)) / wallMs,
      otherCpuPercent:
        machineBefore === undefined || machineAfter === undefined || benchCpuMs === undefined
          ? null
          : Math.max(0, (100 * (machineAfter - machineBefore - benchCpuMs - (ownAfter - ownBefore))) / wallMs),
      errors,
      errorCount: errors.non2xx + errors.transportErrors + errors.timeouts + errors.mismatches,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Report

function formatNumber(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function renderTable(header: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, column) => (rightAligned[column] ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join('  ').trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

function resultRows(results: Array<ScenarioResult | FailedScenario>): string[][] {
  return results.map((result) => {
    const label = result.gateway === null || result.gateway === CURRENT_GATEWAY ? result.id : `${result.id} @${result.gateway}`;
    if ('failure' in result) return [label, 'FAILED', '', '', '', '', '', '', '', '', '', ''];
    const optionalPercent = (value: number | null): string => (value === null ? '—' : `${formatNumber(value, 0)}%`);
    return [
      label,
      `${formatNumber(result.bodyBytes / 1000, 1)} KB`,
      String(result.connections),
      formatNumber(result.requestsPerSecond, 0),
      formatNumber(result.latencyMs.p50, 3),
      formatNumber(result.latencyMs.p99, 3),
      result.gatewayCpuMsPerRequest === null ? '—' : formatNumber(result.gatewayCpuMsPerRequest, 4),
      optionalPercent(result.gatewayCpuPercent),
      optionalPercent(result.mockCpuPercent),
      optionalPercent(result.loadGeneratorCpuPercent),
      optionalPercent(result.otherCpuPercent),
      String(result.errorCount),
    ];
  });
}

interface AddedLatency {
  /** The gateway build; null for the bare proxy (the same for every build). */
  gateway: string | null;
  path: 'bare-proxy' | 'bare-translator' | 'passthrough' | 'translated';
  gatewayP50Ms: number;
  directP50Ms: number;
  addedMicroseconds: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Whether other processes stayed (nearly) off the cores during a run. */
function isQuietRun(result: ScenarioResult): boolean {
  return (result.otherCpuPercent ?? 0) <= OTHER_CPU_WARNING_PERCENT;
}

/** A scenario's runs on one gateway build merged over rounds (medians), with how many there were. */
interface MergedResult extends ScenarioResult {
  runs: number;
  quietRuns: number;
  /** The lowest gateway CPU per request of the runs used (interference only ever adds to it). */
  bestGatewayCpuMsPerRequest: number | null;
}

/**
 * The results of one scenario on one gateway build, merged over rounds by taking medians — of the
 * quiet runs (see {@link isQuietRun}) when there are any, since other load only adds noise.
 */
function medianResults(results: Array<ScenarioResult | FailedScenario>, gateway: string): Map<string, MergedResult> {
  const groups = new Map<string, ScenarioResult[]>();
  for (const result of results) {
    if ('failure' in result || (result.gateway !== null && result.gateway !== gateway)) continue;
    const group = groups.get(result.id) ?? [];
    group.push(result);
    groups.set(result.id, group);
  }
  const merged = new Map<string, MergedResult>();
  for (const [id, allRuns] of groups) {
    const quiet = allRuns.filter(isQuietRun);
    const group = quiet.length > 0 ? quiet : allRuns;
    const cpuValues = group.map((result) => result.gatewayCpuMsPerRequest).filter((value): value is number => value !== null);
    const nullableMedian = (values: Array<number | null>): number | null => (values.some((value) => value === null) ? null : median(values as number[]));
    merged.set(id, {
      ...group[0],
      requestsPerSecond: median(group.map((result) => result.requestsPerSecond)),
      latencyMs: {
        p50: median(group.map((result) => result.latencyMs.p50)),
        p90: median(group.map((result) => result.latencyMs.p90)),
        p99: median(group.map((result) => result.latencyMs.p99)),
        max: Math.max(...group.map((result) => result.latencyMs.max)),
        mean: median(group.map((result) => result.latencyMs.mean)),
      },
      gatewayCpuMsPerRequest: nullableMedian(group.map((result) => result.gatewayCpuMsPerRequest)),
      runs: allRuns.length,
      quietRuns: quiet.length,
      bestGatewayCpuMsPerRequest: cpuValues.length === 0 ? null : Math.min(...cpuValues),
    });
  }
  return merged;
}

/**
 * Added latency at one connection of one gateway build (proxy p50 minus direct p50), or, with
 * `gateway` null, of the bare proxy (its runs and the direct ones belong to no build).
 */
function addedLatencies(results: Array<ScenarioResult | FailedScenario>, gateway: string | null): AddedLatency[] {
  const byId = medianResults(results, gateway ?? CURRENT_GATEWAY);
  const pairs: Array<[AddedLatency['path'], string, string]> =
    gateway === null
      ? [
          ['bare-proxy', 'latency/bare-proxy', 'latency/direct-anthropic'],
          ['bare-translator', 'latency/bare-translator', 'latency/direct-openai'],
        ]
      : [
          ['passthrough', 'latency/passthrough', 'latency/direct-anthropic'],
          ['translated', 'latency/translated', 'latency/direct-openai'],
        ];
  const added: AddedLatency[] = [];
  for (const [path, gatewayId, directId] of pairs) {
    const gatewayResult = byId.get(gatewayId);
    const directResult = byId.get(directId);
    if (gatewayResult === undefined || directResult === undefined) continue;
    added.push({
      gateway,
      path,
      gatewayP50Ms: gatewayResult.latencyMs.p50,
      directP50Ms: directResult.latencyMs.p50,
      addedMicroseconds: (gatewayResult.latencyMs.p50 - directResult.latencyMs.p50) * 1000,
    });
  }
  return added;
}

function gitDescription(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repositoryRoot, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: repositoryRoot, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit} (with uncommitted changes)` : commit;
  } catch {
    return 'unknown';
  }
}

// ---------------------------------------------------------------------------------------------
// Main

async function openAiRegistered(distDirectory: string): Promise<boolean> {
  const registryUrl = pathToFileURL(join(distDirectory, 'providers', 'registry.js')).href;
  const registry = (await import(registryUrl)) as { providerRegistry: ReadonlyMap<string, unknown> };
  return registry.providerRegistry.has('openai');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options === undefined) return;
  if (!existsSync(join(options.gatewayDistDirectory, 'cli.js'))) {
    throw new Error(`${options.gatewayDistDirectory}/cli.js is missing: run \`npm run build\` first (\`npm run bench\` does)`);
  }
  const hasOpenAi = await openAiRegistered(options.gatewayDistDirectory);
  const bodies = [smallBody(), claudeCodeBody(repositoryRoot)];
  const scenarios = buildScenarios(options, bodies);
  if (scenarios.length === 0) throw new Error(`no scenario matches ${options.scenarioFilters.join(', ')}`);

  if (options.compareDistDirectory !== undefined && !existsSync(join(options.compareDistDirectory, 'cli.js'))) {
    throw new Error(`--compare: ${options.compareDistDirectory}/cli.js is missing`);
  }

  const workDirectory = mkdtempSync(join(tmpdir(), 'heimdall-bench-'));
  const profileDirectory = join(repositoryRoot, '.test-artifacts', 'profiles');
  const mock = await startMockUpstream();
  const config = {
    providers: {
      anthropic: { base_url: mock.url, keys: [{ value: 'bench' }] },
      ...(hasOpenAi ? { openai: { base_url: `${mock.url}/v1`, keys: [{ value: 'bench' }] } } : {}),
    },
    ...options.extraConfig,
  };
  const configPath = join(workDirectory, 'config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const profileName = `gateway-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`;
  // BENCH_NODE_FLAGS: extra Node flags for the measured build (e.g. `--heap-prof --heap-prof-dir=DIR`, `--trace-gc`).
  const extraNodeFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');
  const startFlags = startScriptNodeFlags(options.gatewayDistDirectory);
  const compareFlags = options.compareDistDirectory === undefined ? [] : startScriptNodeFlags(options.compareDistDirectory);
  const nodeFlags = [...startFlags, ...extraNodeFlags, ...(options.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDirectory}`, `--cpu-prof-name=${profileName}`] : [])];
  if (options.profile) mkdirSync(profileDirectory, { recursive: true });
  const gateways: GatewayVariant[] = [
    { label: CURRENT_GATEWAY, process: await startGatewayProcess(options.gatewayDistDirectory, configPath, workDirectory, nodeFlags) },
  ];
  if (options.compareDistDirectory !== undefined) {
    // Its own app directory: the builds may differ in schema, and one SQLite file would be shared load.
    const compareDirectory = join(workDirectory, 'compare');
    mkdirSync(compareDirectory);
    gateways.push({ label: 'compare', process: await startGatewayProcess(options.compareDistDirectory, configPath, compareDirectory, compareFlags) });
  }
  if (options.loggingCost) {
    // The same build with the request log off, in its own app directory (observability, issue 7).
    const offDirectory = join(workDirectory, 'logging-off');
    mkdirSync(offDirectory, { recursive: true });
    const offConfigPath = join(offDirectory, 'config.json');
    writeFileSync(offConfigPath, JSON.stringify({ ...config, logging: { enabled: false } }, null, 2));
    gateways.push({ label: LOGGING_OFF_GATEWAY, process: await startGatewayProcess(options.gatewayDistDirectory, offConfigPath, offDirectory, startFlags) });
  }
  // The reference proxies, each only when a selected scenario uses it.
  const uses = (target: Target): boolean => scenarios.some((scenario) => scenario.target === target);
  const references: ReferenceProxies = {
    bareProxy: uses('bare-proxy') ? await startBareProxy(mock.url, startFlags) : undefined,
    bareTranslator: uses('bare-translator') && hasOpenAi ? await startBareTranslator(mock.url, options.gatewayDistDirectory, startFlags) : undefined,
  };
  const { bareProxy, bareTranslator } = references;
  const benchPids = [...gateways.map((gateway) => gateway.process.child.pid), mock.child.pid, bareProxy?.child.pid, bareTranslator?.child.pid].filter(
    (pid): pid is number => pid !== undefined,
  );

  const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`Heimdall bench — ${gitDescription()}, Node ${process.version}, ${cpus().length} CPUs (${cpuModel})`);
  console.log(
    `  gateway: ${nodeCommand([...startFlags, ...extraNodeFlags], relative(repositoryRoot, options.gatewayDistDirectory) || '.')} serve (own process${options.profile ? ', --cpu-prof' : ''}; the Node flags of the build's \`npm start\`${extraNodeFlags.length > 0 ? ' and BENCH_NODE_FLAGS' : ''}); mock upstream: bare TCP server, pre-serialised answers (own process);`,
  );
  if (options.compareDistDirectory !== undefined) console.log(`  compared with "@compare": ${nodeCommand(compareFlags, options.compareDistDirectory)} serve (own process; its own \`npm start\` flags), runs alternating`);
  if (bareProxy !== undefined) {
    console.log(
      `  reference: bare-proxy = node:http server + one undici Pool to the mock, body relayed chunk by chunk, nothing else (own process${startFlags.length > 0 ? `, with the gateway's Node flags ${startFlags.join(' ')}` : ''}; its CPU is in the gw columns);`,
    );
  }
  if (bareTranslator !== undefined) {
    console.log(
      `  reference: bare-translator = the bare proxy plus this build's translation modules (request parse and conversion, SSE reading, stream translation, Anthropic encoding), nothing else of the gateway (own process, same flags; its CPU is in the gw columns);`,
    );
  }
  console.log(`  load: autocannon in this process — all ${bareProxy === undefined && bareTranslator === undefined ? 'three' : 'the processes'} share the ${cpus().length} cores, so the load generator's CPU is taken from the gateway's.`);
  console.log(
    `  ${options.durationSeconds} s measured + ${options.warmupSeconds} s warm-up per scenario${options.rounds > 1 ? `, ${options.rounds} rounds` : ''}; ${options.connections} connections (latency/*: 1 connection, small body)`,
  );
  for (const body of bodies) console.log(`  body "${body.name}": ${body.description}`);
  if (Object.keys(options.extraConfig).length > 0) console.log(`  gateway config additions: ${JSON.stringify(options.extraConfig)}`);
  if (!hasOpenAi) console.log('  NOTE: provider kind "openai" is not in the registry yet: direct-openai/translated scenarios are skipped.');
  console.log('');

  const results: Array<ScenarioResult | FailedScenario> = [];
  const skipped: string[] = [];
  try {
    for (let round = 1; round <= options.rounds; round += 1) {
      for (const scenario of scenarios) {
        if (!hasOpenAi && (scenario.target === 'translated' || scenario.target === 'direct-openai' || scenario.target === 'bare-translator')) {
          if (round === 1) skipped.push(scenario.id);
          continue;
        }
        const viaGateway = isViaGateway(scenario.target);
        // Alternate which gateway goes first, so that drifts in machine load hit both alike; or,
        // paired, load them at the same time.
        const order = round % 2 === 1 ? gateways : [...gateways].reverse();
        const batches = !viaGateway ? [[gateways[0]]] : options.paired ? [order] : order.map((gateway) => [gateway]);
        for (const batch of batches) {
          const label = viaGateway && gateways.length > 1 ? `${scenario.id} @${batch.map((gateway) => gateway.label).join(' + @')}` : scenario.id;
          process.stdout.write(`  ${options.rounds > 1 ? `[${round}/${options.rounds}] ` : ''}running ${label} …`);
          const batchResults = await runScenario(scenario, options, batch, mock, references, benchPids, round);
          results.push(...batchResults);
          const summaries = batchResults.map((result) =>
            'failure' in result
              ? `FAILED: ${result.failure}`
              : `${batchResults.length > 1 ? `@${result.gateway ?? ''} ` : ''}${formatNumber(result.requestsPerSecond, 0)} req/s, p50 ${formatNumber(result.latencyMs.p50, 3)} ms${result.gatewayCpuMsPerRequest === null ? '' : `, ${formatNumber(result.gatewayCpuMsPerRequest, 4)} gw CPU ms/req`}`,
          );
          const first = batchResults[0];
          const other = 'failure' in first ? '' : `, other CPU ${formatNumber(first.otherCpuPercent ?? 0, 0)}%`;
          process.stdout.write(` ${summaries.join('; ')}${other}\n`);
          for (const gateway of batch) {
            if (gateway.process.child.exitCode !== null) throw new Error(`the gateway exited during ${scenario.id}:\n${gateway.process.output()}`);
          }
          for (const [name, reference] of [['bare proxy', bareProxy], ['bare translator', bareTranslator]] as const) {
            if (reference !== undefined && reference.child.exitCode !== null) throw new Error(`the ${name} exited during ${scenario.id}`);
          }
        }
      }
    }
  } finally {
    for (const gateway of gateways) await stopProcess(gateway.process.child, 'SIGINT');
    for (const reference of [bareProxy, bareTranslator]) {
      if (reference === undefined) continue;
      if (reference.child.connected) reference.child.disconnect();
      await stopProcess(reference.child, 'SIGTERM');
    }
    const counts = await Promise.race([mock.counts(), sleep(2000).then(() => ({}))]);
    mock.child.disconnect();
    await stopProcess(mock.child, 'SIGTERM');
    rmSync(workDirectory, { recursive: true, force: true });
    if (Object.keys(counts).length > 0) console.log(`\n  mock upstream answered: ${JSON.stringify(counts)}`);
  }

  console.log('');
  const header = ['scenario', 'body', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'gw CPU ms/req', 'gw CPU', 'mock CPU', 'loadgen CPU', 'other CPU', 'errors'];
  const alignment = [false, true, true, true, true, true, true, true, true, true, true, true];
  console.log(renderTable(header, resultRows(results), alignment));
  for (const id of skipped) console.log(`${id}: skipped (openai provider not registered)`);

  console.log('(CPU columns: percent of one core over the measured run; "other" is every other process on the machine; "gw" is the reference proxy on bare-proxy and bare-translator rows.)');
  const busy = results.filter((result): result is ScenarioResult => !('failure' in result) && (result.otherCpuPercent ?? 0) > OTHER_CPU_WARNING_PERCENT);
  if (busy.length > 0) {
    console.log(
      `WARNING: other processes used more than ${OTHER_CPU_WARNING_PERCENT}% of a core during ${busy.length} run(s) (${[...new Set(busy.map((result) => result.id))].join(', ')}): those figures are unreliable.`,
    );
  }

  const added = [...addedLatencies(results, null), ...gateways.flatMap((gateway) => addedLatencies(results, gateway.label))];
  if (added.length > 0) {
    console.log(`\nAdded latency at one connection (p50, small body; gateway or bare proxy minus direct to the mock${options.rounds > 1 ? '; medians over rounds' : ''}):`);
    for (const item of added) {
      console.log(
        `  ${`${item.path}${gateways.length > 1 && item.gateway !== null ? ` @${item.gateway}` : ''}`.padEnd(22)} ${formatNumber(item.addedMicroseconds, 0).padStart(6)} µs   (${item.gateway === null ? 'proxy' : 'gateway'} ${formatNumber(item.gatewayP50Ms, 3)} ms − direct ${formatNumber(item.directP50Ms, 3)} ms)`,
      );
    }
  }

  // How far each gateway build is from the reference proxies, body for body (medians over rounds):
  // both paths against the bare proxy, the translated one also against the bare translator, and the
  // bare translator against the bare proxy (the translation's own cost; the same for every build).
  const comparisons: Array<[subject: Target, reference: Target]> = [
    ['passthrough', 'bare-proxy'],
    ['translated', 'bare-proxy'],
    ['bare-translator', 'bare-proxy'],
    ['translated', 'bare-translator'],
  ];
  const referenceRows: string[][] = [];
  gateways.forEach((gateway, gatewayIndex) => {
    const merged = medianResults(results, gateway.label);
    for (const body of bodies) {
      for (const [subject, referenceTarget] of comparisons) {
        if (!isViaGateway(subject) && gatewayIndex > 0) continue;
        const reference = merged.get(`${referenceTarget}/${body.name}`);
        const result = merged.get(`${subject}/${body.name}`);
        if (reference === undefined || result === undefined) continue;
        const cpuRatio =
          result.gatewayCpuMsPerRequest === null || reference.gatewayCpuMsPerRequest === null || reference.gatewayCpuMsPerRequest === 0
            ? '—'
            : `${formatNumber(result.gatewayCpuMsPerRequest / reference.gatewayCpuMsPerRequest, 2)}×`;
        referenceRows.push([
          `${subject}/${body.name}${gateways.length > 1 && isViaGateway(subject) ? ` @${gateway.label}` : ''}`,
          referenceTarget,
          `${formatNumber((100 * result.requestsPerSecond) / reference.requestsPerSecond, 0)}%`,
          `${formatNumber(result.requestsPerSecond, 0)} / ${formatNumber(reference.requestsPerSecond, 0)}`,
          cpuRatio,
          result.gatewayCpuMsPerRequest === null || reference.gatewayCpuMsPerRequest === null
            ? '—'
            : `${formatNumber(result.gatewayCpuMsPerRequest, 4)} / ${formatNumber(reference.gatewayCpuMsPerRequest, 4)}`,
        ]);
      }
    }
  });
  if (referenceRows.length > 0) {
    console.log(`\nRelative to the reference proxies (same body, same run${options.rounds > 1 ? '; medians over rounds' : ''}):`);
    console.log(
      renderTable(['scenario', 'reference', 'req/s of ref', 'req/s / ref', 'CPU/req ×ref', 'CPU ms/req / ref'], referenceRows, [false, false, true, true, true, true]),
    );
  }

  if (gateways.length > 1) {
    const current = medianResults(results, CURRENT_GATEWAY);
    const compared = medianResults(results, gateways[1].label);
    const rows: string[][] = [];
    for (const [id, result] of current) {
      const other = compared.get(id);
      if (result.gateway === null || other === undefined) continue;
      const change = (now: number, before: number): string => `${now >= before ? '+' : ''}${formatNumber((100 * (now - before)) / before, 1)}%`;
      const cpuNow = result.gatewayCpuMsPerRequest ?? 0;
      const cpuBefore = other.gatewayCpuMsPerRequest ?? 0;
      const bestNow = result.bestGatewayCpuMsPerRequest ?? 0;
      const bestBefore = other.bestGatewayCpuMsPerRequest ?? 0;
      rows.push([
        id,
        `${other.quietRuns}/${other.runs} · ${result.quietRuns}/${result.runs}`,
        formatNumber(other.requestsPerSecond, 0),
        formatNumber(result.requestsPerSecond, 0),
        change(result.requestsPerSecond, other.requestsPerSecond),
        formatNumber(other.latencyMs.p50, 3),
        formatNumber(result.latencyMs.p50, 3),
        formatNumber(cpuBefore, 4),
        formatNumber(cpuNow, 4),
        change(cpuNow, cpuBefore),
        formatNumber(bestBefore, 4),
        formatNumber(bestNow, 4),
        change(bestNow, bestBefore),
      ]);
    }
    if (options.loggingCost) {
      console.log('\nCost of the request log per request (dist with logging on, minus @logging-off; medians):');
      for (const [id, result] of current) {
        const off = compared.get(id);
        if (result.gateway === null || off === undefined) continue;
        const cpuMicroseconds = 1000 * ((result.gatewayCpuMsPerRequest ?? 0) - (off.gatewayCpuMsPerRequest ?? 0));
        const p50Microseconds = 1000 * (result.latencyMs.p50 - off.latencyMs.p50);
        console.log(
          `  ${id.padEnd(28)} CPU ${formatNumber(cpuMicroseconds, 1).padStart(7)} µs/req (${formatNumber(1000 * (off.gatewayCpuMsPerRequest ?? 0), 1)} → ${formatNumber(1000 * (result.gatewayCpuMsPerRequest ?? 0), 1)})   p50 ${formatNumber(p50Microseconds, 0).padStart(5)} µs   req/s ${formatNumber(off.requestsPerSecond, 0)} → ${formatNumber(result.requestsPerSecond, 0)}`,
        );
      }
    }
    console.log(
      `\nComparison (@${gateways[1].label} → dist${options.rounds > 1 ? ': medians over the quiet runs (other CPU ≤ ' + String(OTHER_CPU_WARNING_PERCENT) + '%) when there are any, else over all; "min" is the lowest CPU/req' : ''}):`,
    );
    console.log(
      renderTable(
        ['scenario', 'quiet runs', 'req/s before', 'req/s after', 'change', 'p50 before', 'p50 after', 'CPU ms/req before', 'after', 'change', 'min before', 'min after', 'change'],
        rows,
        [false, true, true, true, true, true, true, true, true, true, true, true, true],
      ),
    );
  }

  const problems = results.filter((result) => 'failure' in result || result.errorCount > 0);
  if (problems.length > 0) {
    console.log('\nErrors:');
    for (const result of problems) {
      const label = result.gateway === null ? result.id : `${result.id} @${result.gateway}`;
      if ('failure' in result) console.log(`  ${label}: ${result.failure}`);
      else console.log(`  ${label}: ${JSON.stringify({ ...result.errors, sample: undefined })}${result.errors.sample === undefined ? '' : `\n    ${result.errors.sample}`}`);
    }
    process.exitCode = 1;
  }

  mkdirSync(dirname(options.outputPath), { recursive: true });
  const report = {
    generatedAt: new Date().toISOString(),
    commit: gitDescription(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    cpuModel,
    options: {
      durationSeconds: options.durationSeconds,
      warmupSeconds: options.warmupSeconds,
      connections: options.connections,
      scenarioFilters: options.scenarioFilters,
      rounds: options.rounds,
      compareDistDirectory: options.compareDistDirectory ?? null,
      gatewayConfig: options.extraConfig,
    },
    bodies: Object.fromEntries(bodies.map((body) => [body.name, { description: body.description }])),
    openAiProviderRegistered: hasOpenAi,
    skipped,
    scenarios: results,
    addedLatency: added,
  };
  writeFileSync(options.outputPath, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nJSON results: ${options.outputPath}`);

  if (options.profile) {
    const profiles = readdirSync(profileDirectory).filter((name) => name === profileName);
    if (profiles.length === 0) {
      console.log('\n(no CPU profile was written)');
    } else {
      const path = join(profileDirectory, profileName);
      console.log(`\nGateway CPU profile: ${path}\n`);
      console.log(summariseCpuProfile(readFileSync(path, 'utf8'), 30));
    }
  }
}

process.once('SIGINT', () => stopChildrenAndExit('SIGINT'));
process.once('SIGTERM', () => stopChildrenAndExit('SIGTERM'));

main().catch((error: unknown) => {
  console.error('bench:', error instanceof Error ? error.message : error);
  process.exit(1);
});
