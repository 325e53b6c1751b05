import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from './password-hashing.js';

const FAST = { logCost: 10, blockSize: 8, parallelization: 1 };

describe('admin password hashing (scrypt)', () => {
  it('stores the parameters, a random salt and the hash; verifies the right password only', async () => {
    const hash = await hashPassword('correct horse battery staple');
    assert.match(hash, /^scrypt\$15\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    assert.equal(await verifyPassword('correct horse battery staple', hash), true);
    assert.equal(await verifyPassword('correct horse battery stapl', hash), false);
    assert.notEqual(await hashPassword('correct horse battery staple'), hash, 'a fresh salt every time');
  });

  it('normalizes Unicode so that the same password typed differently matches', async () => {
    const composed = 'caf\u00e9-password-1';
    const decomposed = 'cafe\u0301-password-1';
    assert.equal(await verifyPassword(decomposed, await hashPassword(composed, FAST)), true);
  });

  it('never matches a malformed stored hash, and asks to rehash weaker parameters', async () => {
    for (const stored of ['', 'plain', 'scrypt$15$8$1$$', 'scrypt$99$8$1$AAAA$AAAA', 'bcrypt$2b$10$abc']) {
      assert.equal(await verifyPassword('anything', stored), false, stored);
    }
    const weak = await hashPassword('password-1234', FAST);
    assert.equal(await verifyPassword('password-1234', weak), true);
    assert.equal(needsRehash(weak), true);
    assert.equal(needsRehash(await hashPassword('password-1234')), false);
  });

  it('spends a verification on unknown users (always false)', async () => {
    assert.equal(await verifyAgainstDummy('whatever'), false);
  });
});
