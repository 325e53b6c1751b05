/**
 * Virtual-key secrets created in this tab, kept in memory only (gone on reload), so that the Claude
 * Code setup page can offer a key that was just created: the API shows a secret once and never
 * again. A page that creates or rotates a key calls {@link rememberKeySecret}.
 */

export interface RecentKeySecret {
  /** The virtual key's id. */
  id: string;
  name: string;
  secret: string;
}

const recent = new Map<string, RecentKeySecret>();

/** Keeps `secret` of key `id` for this tab's lifetime (a rotated key's new secret replaces the old). */
export function rememberKeySecret(id: string, name: string, secret: string): void {
  recent.set(id, { id, name, secret });
}

/** The secrets created in this tab, newest last. */
export function recentKeySecrets(): RecentKeySecret[] {
  return [...recent.values()];
}
