import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, describe, it } from 'node:test';
import { loadOrCreateEncryptionKey, parseEncryptionKey, SecretCipher } from './encryption.js';
import { openHeimdallStore } from './heimdall-store.js';
import { maskSecret, SecretValue } from './secret-value.js';
import { EncryptionStorageError } from './storage-errors.js';

const directories: string[] = [];
function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'heimdall-encryption-'));
  directories.push(directory);
  return directory;
}
after(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

describe('SecretCipher (AES-256-GCM)', () => {
  const cipher = new SecretCipher(randomBytes(32));

  it('round-trips a value in the v1:<iv>:<tag>:<ciphertext> format with a fresh 12-byte IV each time', () => {
    const first = cipher.encrypt('sk-proj-secret-value', 'provider-key:1');
    const second = cipher.encrypt('sk-proj-secret-value', 'provider-key:1');
    assert.match(first, /^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    assert.equal(Buffer.from(first.split(':')[1], 'base64').length, 12);
    assert.equal(Buffer.from(first.split(':')[2], 'base64').length, 16);
    assert.notEqual(first, second);
    assert.equal(cipher.decrypt(first, 'provider-key:1'), 'sk-proj-secret-value');
    assert.equal(cipher.decrypt(second, 'provider-key:1'), 'sk-proj-secret-value');
    assert.ok(!first.includes('sk-proj'));
    assert.equal(cipher.decrypt(cipher.encrypt('', 'empty'), 'empty'), '');
  });

  it('detects tampering with the ciphertext, the tag or the IV, and never echoes the value', () => {
    const encoded = cipher.encrypt('sk-proj-secret-value', 'provider-key:1');
    const [version, iv, tag, ciphertext] = encoded.split(':');
    const flip = (base64: string): string => {
      const bytes = Buffer.from(base64, 'base64');
      bytes[0] ^= 0x01;
      return bytes.toString('base64');
    };
    for (const tampered of [
      [version, iv, tag, flip(ciphertext)].join(':'),
      [version, iv, flip(tag), ciphertext].join(':'),
      [version, flip(iv), tag, ciphertext].join(':'),
    ]) {
      assert.throws(
        () => cipher.decrypt(tampered, 'provider-key:1'),
        (error: unknown) => error instanceof EncryptionStorageError && /failed authentication/.test(error.message) && !error.message.includes(ciphertext),
      );
    }
  });

  it('refuses a value moved to another context (row) or decrypted under another key', () => {
    const encoded = cipher.encrypt('sk-proj-secret-value', 'provider-key:1');
    assert.throws(() => cipher.decrypt(encoded, 'provider-key:2'), EncryptionStorageError);
    assert.throws(() => new SecretCipher(randomBytes(32)).decrypt(encoded, 'provider-key:1'), EncryptionStorageError);
  });

  it('refuses unknown formats', () => {
    assert.throws(() => cipher.decrypt('plaintext', 'x'), /not an encrypted value in a known format/);
    assert.throws(() => cipher.decrypt('v2:a:b:c', 'x'), /not an encrypted value in a known format/);
    assert.throws(() => cipher.decrypt('v1:AAAA:BBBB:CCCC', 'x'), /malformed/);
  });

  it('refuses a key that is not 32 bytes', () => {
    assert.throws(() => new SecretCipher(randomBytes(16)), /32 bytes/);
  });
});

describe('the master key', () => {
  const key = randomBytes(32);

  it('parses 64 hex characters, base64 and base64url (with or without padding)', () => {
    assert.deepEqual(parseEncryptionKey(key.toString('hex'), 'test'), key);
    assert.deepEqual(parseEncryptionKey(key.toString('hex').toUpperCase(), 'test'), key);
    assert.deepEqual(parseEncryptionKey(key.toString('base64'), 'test'), key);
    assert.deepEqual(parseEncryptionKey(`  ${key.toString('base64')}\n`, 'test'), key);
    assert.deepEqual(parseEncryptionKey(key.toString('base64url'), 'test'), key);
  });

  it('refuses other lengths and text without echoing it', () => {
    for (const bad of [randomBytes(16).toString('hex'), randomBytes(31).toString('base64'), 'not a key at all!', 'secret-passphrase-secret-passphrase-secret-p']) {
      assert.throws(
        () => parseEncryptionKey(bad, 'HEIMDALL_ENCRYPTION_KEY'),
        (error: unknown) => error instanceof EncryptionStorageError && error.message.startsWith('HEIMDALL_ENCRYPTION_KEY:') && !error.message.includes(bad),
      );
    }
  });

  it('is generated into <appDir>/encryption.key with mode 0600 on first start, then read back', () => {
    const directory = temporaryDirectory();
    const first = loadOrCreateEncryptionKey(directory, {});
    assert.equal(first.source, 'generated');
    const path = join(directory, 'encryption.key');
    assert.ok(existsSync(path));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(parseEncryptionKey(readFileSync(path, 'utf8'), path), first.key);
    const second = loadOrCreateEncryptionKey(directory, {});
    assert.equal(second.source, 'file');
    assert.deepEqual(second.key, first.key);
  });

  it('tightens a key file that became readable by others', () => {
    const directory = temporaryDirectory();
    loadOrCreateEncryptionKey(directory, {});
    const path = join(directory, 'encryption.key');
    chmodSync(path, 0o644);
    loadOrCreateEncryptionKey(directory, {});
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it('comes from HEIMDALL_ENCRYPTION_KEY when set (no file is written)', () => {
    const directory = temporaryDirectory();
    const loaded = loadOrCreateEncryptionKey(directory, { HEIMDALL_ENCRYPTION_KEY: key.toString('hex') });
    assert.equal(loaded.source, 'environment');
    assert.deepEqual(loaded.key, key);
    assert.ok(!existsSync(join(directory, 'encryption.key')));
  });
});

describe('secrets in memory', () => {
  it('mask to at most the first and last 4 characters', () => {
    assert.equal(maskSecret('sk-proj-abcdefghijklmnop1234'), 'sk-p…1234');
    assert.equal(maskSecret('short-secret'), '****');
    assert.equal(maskSecret(''), '****');
  });

  it('print as [secret] everywhere but reveal()', () => {
    const secret = new SecretValue('sk-proj-abcdefghijklmnop1234');
    const record = { name: 'main', value: secret };
    assert.equal(`${secret}`, '[secret]');
    assert.equal(JSON.stringify(record), '{"name":"main","value":"[secret]"}');
    assert.ok(!inspect(record).includes('abcdefgh'));
    assert.equal(secret.reveal(), 'sk-proj-abcdefghijklmnop1234');
  });
});

describe('encryption at rest in the SQLite store', () => {
  it('keeps the provider key plaintext (and header values) out of the database files', async () => {
    const directory = temporaryDirectory();
    const plaintext = `sk-plaintext-${randomBytes(16).toString('hex')}`;
    const headerSecret = `header-secret-${randomBytes(16).toString('hex')}`;
    const store = await openHeimdallStore({ appDirectory: directory, encryptionKey: randomBytes(32) });
    const provider = await store.providers.create({ name: 'openai', type: 'openai', headers: { 'OpenAI-Organization': headerSecret } });
    await store.providers.addKey(provider.id, { name: 'main', value: plaintext });
    const readBack = await store.providers.findByName('openai');
    assert.equal(readBack?.keys[0].value.reveal(), plaintext);
    assert.equal(readBack?.headers['openai-organization'].reveal(), headerSecret);
    // Before closing: the data may still be in the write-ahead log.
    const scan = (): void => {
      for (const file of ['heimdall.db', 'heimdall.db-wal']) {
        const path = join(directory, file);
        if (!existsSync(path)) continue;
        const bytes = readFileSync(path);
        assert.equal(bytes.indexOf(plaintext), -1, `${file} holds the key plaintext`);
        assert.equal(bytes.indexOf(headerSecret), -1, `${file} holds the header plaintext`);
        assert.equal(bytes.indexOf(plaintext.slice(3, 20)), -1, `${file} holds part of the key plaintext`);
      }
    };
    scan();
    await store.close();
    scan();
    assert.ok(readFileSync(join(directory, 'heimdall.db')).indexOf('v1:') !== -1, 'the encrypted value is in the file');
  });

  it('refuses to open with another master key than the one the database was first used with', async () => {
    const directory = temporaryDirectory();
    const store = await openHeimdallStore({ appDirectory: directory, encryptionKey: randomBytes(32) });
    await store.close();
    await assert.rejects(
      openHeimdallStore({ appDirectory: directory, encryptionKey: randomBytes(32) }),
      (error: unknown) => error instanceof EncryptionStorageError && /not the one the database/.test(error.message),
    );
  });
});
