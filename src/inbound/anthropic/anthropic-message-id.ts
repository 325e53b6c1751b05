import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A message id in Anthropic's style (`msg_` + 24 base62 characters), for translated responses. */
export function newAnthropicMessageId(): string {
  const bytes = randomBytes(24);
  let id = 'msg_';
  for (const byte of bytes) id += ALPHABET[byte % ALPHABET.length];
  return id;
}

/** A tool-use id in Anthropic's style (`toolu_` + 24 base62 characters), for upstreams that send none. */
export function newAnthropicToolUseId(): string {
  return `toolu_${newAnthropicMessageId().slice(4)}`;
}
