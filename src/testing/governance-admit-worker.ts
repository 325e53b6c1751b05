/**
 * A separate process for the multi-process governance test: connects to the shared PostgreSQL and
 * Redis, waits until every worker is ready (a Redis counter as the barrier), then runs a burst of concurrent admissions against a
 * budget-limited key and a rate-limited key (in waves over ~200 ms, each admitted request holding its
 * reservation for a simulated upstream latency), and prints what happened as one JSON line.
 *
 * Input (JSON in the HEIMDALL_WORKER_INPUT environment variable): see {@link WorkerInput}.
 */
import { GatewayError } from '../core/errors.js';
import { CostCalculator } from '../governance/cost-calculator.js';
import { GovernanceService, type AdmissionRequest } from '../governance/governance-service.js';
import { RedisChangeNotifier } from '../storage/counters/change-notifier.js';
import { RedisCounterStore } from '../storage/counters/redis-counter-store.js';
import { openHeimdallStore } from '../storage/heimdall-store.js';

/** What the parent test hands a worker. */
export interface WorkerInput {
  databaseUrl: string;
  redisUrl: string;
  redisKeyPrefix: string;
  /** Master key, hex. */
  encryptionKeyHex: string;
  appDirectory: string;
  budgetKeySecret: string;
  rateKeySecret: string;
  /** Admissions to try on each key. */
  attempts: number;
  /** Shared frozen clock for window computation, ms. */
  nowMs: number;
  /** Redis key (unprefixed) every worker increments when ready; the burst starts once it reaches `workers`. */
  barrierKey: string;
  /** Workers taking part. */
  workers: number;
}

/** What a worker prints. */
export interface WorkerOutput {
  budgetAdmitted: number;
  budgetRefused: number;
  rateAdmitted: number;
  rateRefused: number;
  unexpected: string[];
}

/** Attempts started together, and the pause between waves, ms. */
const WAVE_SIZE = 5;
const WAVE_INTERVAL_MS = 10;
/** How long an admitted request holds its reservation before settling, ms. */
const UPSTREAM_LATENCY_MS = 30;

const input = JSON.parse(process.env.HEIMDALL_WORKER_INPUT ?? '{}') as WorkerInput;
const request: AdmissionRequest = { provider: 'openai', providerKind: 'openai', model: 'gpt-test', estimatedInputTokens: 1_000_000, estimatedOutputTokens: 0 };

const store = await openHeimdallStore({ url: input.databaseUrl, appDirectory: input.appDirectory, encryptionKey: Buffer.from(input.encryptionKeyHex, 'hex') });
const counters = await RedisCounterStore.connect({ url: input.redisUrl, keyPrefix: input.redisKeyPrefix });
const notifier = await RedisChangeNotifier.connect({ url: input.redisUrl, publisher: counters.connection, keyPrefix: input.redisKeyPrefix });
const service = new GovernanceService({
  store,
  counters,
  notifier,
  costs: new CostCalculator({ 'openai/gpt-test': { inputPerMillionTokensUsd: 1, outputPerMillionTokensUsd: 1 } }),
  clock: () => input.nowMs,
  log: () => undefined,
});

const budgetContext = await service.authenticateRequest({ 'x-api-key': input.budgetKeySecret });
const rateContext = await service.authenticateRequest({ 'x-heimdall-vk': input.rateKeySecret });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
// Start together: a fixed start time fails when one worker is slow to start on a busy machine.
const barrier = `${input.redisKeyPrefix}${input.barrierKey}`;
await counters.connection.incr(barrier);
for (const deadline = Date.now() + 60_000; Number(await counters.connection.get(barrier)) < input.workers; ) {
  if (Date.now() > deadline) throw new Error(`only ${await counters.connection.get(barrier)} of ${input.workers} workers became ready`);
  await sleep(5);
}

const output: WorkerOutput = { budgetAdmitted: 0, budgetRefused: 0, rateAdmitted: 0, rateRefused: 0, unexpected: [] };

async function budgetAttempt(): Promise<void> {
  try {
    const ticket = await service.admit(budgetContext, request);
    output.budgetAdmitted += 1;
    await sleep(UPSTREAM_LATENCY_MS); // the reservation is in flight meanwhile
    await service.settle(ticket, { inputTokens: 1_000_000, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 });
  } catch (error) {
    if (error instanceof GatewayError && error.status === 400 && error.headers['x-should-retry'] === 'false') output.budgetRefused += 1;
    else output.unexpected.push(String(error));
  }
}

async function rateAttempt(): Promise<void> {
  try {
    const ticket = await service.admit(rateContext, { ...request, estimatedInputTokens: 10 });
    output.rateAdmitted += 1;
    await service.release(ticket);
  } catch (error) {
    if (error instanceof GatewayError && error.status === 429) output.rateRefused += 1;
    else output.unexpected.push(String(error));
  }
}

// Waves of concurrent attempts spread over ~200 ms, so that both processes contend at the same time.
const running: Array<Promise<void>> = [];
for (let sent = 0; sent < input.attempts; sent += WAVE_SIZE) {
  for (let index = sent; index < Math.min(input.attempts, sent + WAVE_SIZE); index += 1) running.push(budgetAttempt(), rateAttempt());
  await sleep(WAVE_INTERVAL_MS);
}
await Promise.all(running);

await service.close();
await notifier.close();
await counters.close();
await store.close();
process.stdout.write(`${JSON.stringify(output)}\n`);
