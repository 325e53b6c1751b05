import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Virtual key secrets: `hk-` followed by 43 base64url characters (32 random bytes). Only the
 * SHA-256 of a secret is stored; the plaintext is shown once, when the key is created. A key is
 * recognised on the wire by its `hk-` prefix, which tells it apart from a provider credential the
 * caller forwards (`sk-ant-…`, `sk-…`).
 */

/** Prefix of every virtual key. */
export const VIRTUAL_KEY_PREFIX = 'hk-';

/** A well-formed secret: the prefix and at least 16 base64url characters (config-chosen secrets may be longer or shorter than generated ones). */
const VIRTUAL_KEY_PATTERN = /^hk-[A-Za-z0-9_-]{16,256}$/;

/** Characters after `hk-` kept in the display prefix. */
const DISPLAY_CHARACTERS = 4;

/** A fresh random virtual key secret (`hk-` + 43 base64url characters). */
export function generateVirtualKeySecret(): string {
  return `${VIRTUAL_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** Whether `value` is a well-formed virtual key secret. */
export function isWellFormedVirtualKey(value: string): boolean {
  return VIRTUAL_KEY_PATTERN.test(value);
}

/** SHA-256 of a secret, lower-case hex: what is stored and looked up. */
export function hashVirtualKeySecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** `hk-` and the next 4 characters: recognisable, useless as a credential. */
export function virtualKeyDisplayPrefix(secret: string): string {
  return secret.slice(0, VIRTUAL_KEY_PREFIX.length + DISPLAY_CHARACTERS);
}

/** Compares two SHA-256 hex digests in constant time. */
export function secretHashesEqual(left: string, right: string): boolean {
  const leftBytes = Buffer.from(left, 'hex');
  const rightBytes = Buffer.from(right, 'hex');
  return leftBytes.length === 32 && rightBytes.length === 32 && timingSafeEqual(leftBytes, rightBytes);
}

/** The header a virtual key came in. The request path removes it before forwarding upstream. */
export type CredentialSource = 'x-heimdall-vk' | 'x-api-key' | 'authorization';

/** What the caller presented. */
export type PresentedCredential =
  /** No virtual key. `providerCredential` is true when `x-api-key` or `Authorization` carries something else (a provider credential to forward). */
  | { kind: 'none'; providerCredential: boolean }
  | { kind: 'virtual-key'; secret: string; source: CredentialSource }
  /** `x-heimdall-vk` holds something that is not a virtual key, or an `hk-` value is malformed. */
  | { kind: 'malformed'; source: CredentialSource };

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  const trimmed = first?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(authorization);
  return match === null ? undefined : match[1];
}

/**
 * Finds the virtual key in a request's headers (lower-case names, as Node gives them), in this
 * order: `x-heimdall-vk: <vk>` (the dedicated header, which leaves `x-api-key`/`Authorization`
 * free for a provider credential), `x-api-key: <vk>`, `Authorization: Bearer <vk>`. Only values
 * starting with `hk-` count as virtual keys in the last two.
 */
export function extractPresentedVirtualKey(headers: IncomingHttpHeaders): PresentedCredential {
  const dedicated = headerValue(headers, 'x-heimdall-vk');
  if (dedicated !== undefined) {
    return isWellFormedVirtualKey(dedicated) ? { kind: 'virtual-key', secret: dedicated, source: 'x-heimdall-vk' } : { kind: 'malformed', source: 'x-heimdall-vk' };
  }
  const apiKey = headerValue(headers, 'x-api-key');
  const bearer = bearerToken(headerValue(headers, 'authorization'));
  for (const [value, source] of [
    [apiKey, 'x-api-key'],
    [bearer, 'authorization'],
  ] as const) {
    if (value !== undefined && value.startsWith(VIRTUAL_KEY_PREFIX)) {
      return isWellFormedVirtualKey(value) ? { kind: 'virtual-key', secret: value, source } : { kind: 'malformed', source };
    }
  }
  return { kind: 'none', providerCredential: apiKey !== undefined || headerValue(headers, 'authorization') !== undefined };
}
