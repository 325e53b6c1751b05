import { randomFillSync } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const ID_LENGTH = 24;

/**
 * Random bytes drawn in blocks, so an id costs no system call of its own (ids are made on every
 * translated request, on the hot path).
 */
const pool = Buffer.alloc(ID_LENGTH * 256);
let poolOffset = pool.length;

function randomCharacters(): string {
  if (poolOffset + ID_LENGTH > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  let text = '';
  for (let index = 0; index < ID_LENGTH; index += 1) text += ALPHABET[pool[poolOffset + index] % ALPHABET.length];
  poolOffset += ID_LENGTH;
  return text;
}

/** A message id in Anthropic's style (`msg_` + 24 base62 characters), for translated responses. */
export function newAnthropicMessageId(): string {
  return `msg_${randomCharacters()}`;
}

/** A tool-use id in Anthropic's style (`toolu_` + 24 base62 characters), for upstreams that send none. */
export function newAnthropicToolUseId(): string {
  return `toolu_${randomCharacters()}`;
}
