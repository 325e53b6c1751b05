import { inspect } from 'node:util';

/**
 * A secret (provider key value, header value) held in memory. It prints as `[secret]` in
 * `console.log`, `util.inspect`, template strings and `JSON.stringify`, so that a record holding
 * one can be logged or serialised by mistake without leaking it. `reveal()` is the only way to the
 * plaintext; call it where the secret is sent upstream, nowhere else.
 */
export class SecretValue {
  readonly #plaintext: string;

  constructor(plaintext: string) {
    this.#plaintext = plaintext;
  }

  /** The plaintext. */
  reveal(): string {
    return this.#plaintext;
  }

  /** The masked form for display: see {@link maskSecret}. */
  masked(): string {
    return maskSecret(this.#plaintext);
  }

  toString(): string {
    return '[secret]';
  }

  toJSON(): string {
    return '[secret]';
  }

  [inspect.custom](): string {
    return '[secret]';
  }
}

/** Secrets shorter than this are shown as `****` only: 8 revealed characters would be too many. */
const MINIMUM_LENGTH_TO_SHOW_ENDS = 20;

/**
 * The display form of a secret: its first 4 and last 4 characters around `…` (`sk-p…9xQz`) when it
 * is at least 20 characters long, otherwise `****`. Never more than 8 characters of the secret.
 */
export function maskSecret(secret: string): string {
  if (secret.length < MINIMUM_LENGTH_TO_SHOW_ENDS) return '****';
  return `${secret.slice(0, 4)}…${secret.slice(-4)}`;
}
