import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Access to the shared recorded fixtures (`../shared/fixtures` beside the repository). They are
 * never copied into the project: tests that use them skip with a notice where the folder is absent,
 * and fail instead when `HEIMDALL_REQUIRE_FIXTURES=1` (CI sets it).
 */

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `../shared/fixtures`, or `HEIMDALL_SHARED_FIXTURES` when set. */
export const sharedFixturesDirectory = process.env.HEIMDALL_SHARED_FIXTURES ?? resolve(repositoryRoot, '..', 'shared', 'fixtures');

/** Whether the shared fixtures are present. */
export const sharedFixturesPresent = existsSync(sharedFixturesDirectory);

/**
 * The `skip` option for a test that needs the shared fixtures: false when present, otherwise the
 * notice shown as the skip reason. Throws when fixtures are required (CI) but absent.
 */
export function skipWithoutSharedFixtures(): false | string {
  if (sharedFixturesPresent) return false;
  if (process.env.HEIMDALL_REQUIRE_FIXTURES === '1') {
    throw new Error(`shared fixtures required but absent at ${sharedFixturesDirectory}`);
  }
  return `shared fixtures absent at ${sharedFixturesDirectory}`;
}

/** Reads a shared fixture file as text; `relativePath` is below `fixtures/` (e.g. `upstream/groq/groq-text.json`). */
export function readSharedFixture(relativePath: string): string {
  return readFileSync(join(sharedFixturesDirectory, relativePath), 'utf8');
}

/** Reads a recorded stream (`*.chunks.txt`): one upstream event JSON object per line. */
export function readRecordedChunks(relativePath: string): unknown[] {
  return readSharedFixture(relativePath)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown);
}
