import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { sql } from 'kysely';
import { createScratchPostgresDatabase, POSTGRES_TEST_URL, skipWithoutPostgres } from '../testing/services.js';
import { openDatabase } from './open-database.js';

describe('openDatabase on PostgreSQL', { skip: await skipWithoutPostgres() }, () => {
  it('survives the server closing its idle connections (restart, failover) and reconnects on the next query', async () => {
    const scratch = await createScratchPostgresDatabase();
    const name = new URL(scratch.url).pathname.slice(1);
    const handle = await openDatabase({ url: scratch.url, appDirectory: '/nonexistent' });
    const warnings: string[] = [];
    const originalWarn = console.warn;
    console.warn = (...parts: unknown[]) => void warnings.push(parts.join(' '));
    try {
      // Two idle pooled connections.
      await Promise.all([sql`select pg_sleep(0.05)`.execute(handle.database), sql`select pg_sleep(0.05)`.execute(handle.database)]);
      const admin = new pg.Client({ connectionString: POSTGRES_TEST_URL });
      await admin.connect();
      let terminatedCount = 0;
      try {
        const terminated = await admin.query<{ done: boolean }>(
          'select pg_terminate_backend(pid) as done from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
          [name],
        );
        terminatedCount = terminated.rows.filter((row) => row.done).length;
        assert.ok(terminatedCount >= 1, 'the pool held idle connections to terminate');
      } finally {
        await admin.end();
      }
      // The pool reports each lost connection; without a listener that event would end the process.
      // (Wait for all of them: a query handed a connection whose end has not been read yet fails.)
      for (let waited = 0; warnings.length < terminatedCount && waited < 5_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(warnings.length, terminatedCount, 'one warning per lost connection');
      assert.match(warnings.join('\n'), /PostgreSQL connection lost/);
      assert.doesNotMatch(warnings.join('\n'), /password/);
      const result = await sql<{ answer: number }>`select 41 + 1 as answer`.execute(handle.database);
      assert.equal(Number(result.rows[0]?.answer), 42);
    } finally {
      console.warn = originalWarn;
      await handle.close();
      await scratch.drop();
    }
  });
});
