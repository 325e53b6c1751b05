import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { LocalChangeNotifier } from '../storage/counters/change-notifier.js';
import { RedisCounterStore } from '../storage/counters/redis-counter-store.js';
import { openHeimdallStore, type HeimdallStore } from '../storage/heimdall-store.js';
import type { WorkerInput, WorkerOutput } from '../testing/governance-admit-worker.js';
import {
  createScratchPostgresDatabase,
  deleteRedisKeys,
  REDIS_TEST_URL,
  scratchRedisPrefix,
  skipWithoutPostgres,
  skipWithoutRedis,
  type ScratchPostgresDatabase,
} from '../testing/services.js';
import { CostCalculator } from './cost-calculator.js';
import { GovernanceAdmin } from './governance-admin.js';
import { GovernanceService } from './governance-service.js';

const run = promisify(execFile);
const workerPath = fileURLToPath(new URL('../testing/governance-admit-worker.ts', import.meta.url));
const skip = (await skipWithoutPostgres()) || (await skipWithoutRedis());

/** Two gateway processes sharing PostgreSQL and Redis enforce one budget and one rate limit together. */
describe('governance across two processes sharing PostgreSQL and Redis', { skip }, () => {
  let scratch: ScratchPostgresDatabase;
  let appDirectory: string;
  let store: HeimdallStore;
  const prefix = scratchRedisPrefix();
  const encryptionKey = randomBytes(32);

  before(async () => {
    scratch = await createScratchPostgresDatabase();
    appDirectory = mkdtempSync(join(tmpdir(), 'heimdall-multi-'));
    store = await openHeimdallStore({ url: scratch.url, appDirectory, encryptionKey });
  });
  after(async () => {
    await store?.close();
    await deleteRedisKeys(prefix);
    await scratch?.drop();
    rmSync(appDirectory, { recursive: true, force: true });
  });

  it('admit exactly the budget ($50 of $1 requests) and the rate limit (30 per window) between them', { timeout: 120_000 }, async () => {
    const counters = await RedisCounterStore.connect({ url: REDIS_TEST_URL, keyPrefix: prefix });
    const service = new GovernanceService({ store, counters, notifier: new LocalChangeNotifier(), costs: new CostCalculator(), log: () => undefined });
    // Closed whatever happens: an open Redis connection would keep this file running until its timeout.
    try {
      const admin = new GovernanceAdmin(store, new LocalChangeNotifier(), service);
      const team = await admin.createTeam({ name: 'shared-team' });
      const budgetKey = await admin.createVirtualKey({ name: 'budget-key', teamId: team.id });
      await admin.createBudget({ owner: { type: 'team', id: team.id }, limitUsd: 50, period: '1M' });
      const rateKey = await admin.createVirtualKey({ name: 'rate-key' });
      await admin.createRateLimit({ owner: { type: 'virtual_key', id: rateKey.virtualKey.id }, window: '1m', maxRequests: 30 });

      const nowMs = Date.now();
      const input: WorkerInput = {
        databaseUrl: scratch.url,
        redisUrl: REDIS_TEST_URL,
        redisKeyPrefix: prefix,
        encryptionKeyHex: encryptionKey.toString('hex'),
        appDirectory,
        budgetKeySecret: budgetKey.secret,
        rateKeySecret: rateKey.secret,
        attempts: 100,
        nowMs,
        barrierKey: 'start-barrier',
        workers: 2,
      };
      const workers = await Promise.all(
        [1, 2].map(() =>
          run(process.execPath, ['--import', 'tsx', workerPath], {
            env: { ...process.env, HEIMDALL_WORKER_INPUT: JSON.stringify(input) },
            timeout: 90_000,
          }),
        ),
      );
      const outputs = workers.map((worker) => JSON.parse(worker.stdout.trim().split('\n').pop() ?? '{}') as WorkerOutput);
      if (process.env.HEIMDALL_DEBUG_WORKERS === "1") console.log(JSON.stringify(outputs));
      for (const output of outputs) assert.deepEqual(output.unexpected, []);
      assert.equal(outputs[0].budgetAdmitted + outputs[1].budgetAdmitted, 50, JSON.stringify(outputs));
      assert.equal(outputs[0].budgetRefused + outputs[1].budgetRefused, 150);
      assert.equal(outputs[0].rateAdmitted + outputs[1].rateAdmitted, 30, JSON.stringify(outputs));
      assert.equal(outputs[0].rateRefused + outputs[1].rateRefused, 170);
      assert.ok(
        outputs.every((output) => output.budgetAdmitted > 0 && output.rateAdmitted > 0),
        `both processes took part in both bursts: ${JSON.stringify(outputs)}`,
      );

      // Both processes' usage reached the database: the spend survives them.
      const spent = await store.usage.sumCostMicroUsd({ type: 'team', id: team.id }, 0, Number.MAX_SAFE_INTEGER);
      assert.equal(spent, 50_000_000);
    } finally {
      await service.close();
      await counters.close();
    }
  });
});
