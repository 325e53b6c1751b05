import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

/**
 * What Heimdall keeps for per-user OAuth towards upstream MCP servers (`per_user_oauth`): each
 * caller's tokens per upstream, the upstream's OAuth client registration (dynamic client
 * registration, RFC 7591), and authorizations in progress (PKCE code verifier by `state`). Kept
 * in the database, encrypted (`mcp_credentials`, through `McpCredentialRepository`), when the
 * gateway runs with storage — so a callback may reach any replica — else in process memory.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 */

/** The kinds of value kept (the `kind` column of `mcp_credentials`). */
export type McpOAuthEntryKind = 'oauth-tokens' | 'oauth-client' | 'oauth-pending';

/** Key-value storage of JSON values by upstream, identity and kind (`McpCredentialRepository` is one). */
export interface McpOAuthEntries {
  get(upstream: string, identity: string, kind: McpOAuthEntryKind): Promise<unknown>;
  set(upstream: string, identity: string, kind: McpOAuthEntryKind, value: unknown): Promise<void>;
  delete(upstream: string, identity: string, kind: McpOAuthEntryKind): Promise<boolean>;
  /** Identities holding a value of `kind` for the upstream, most recently stored first. */
  identities(upstream: string, kind: McpOAuthEntryKind): Promise<string[]>;
  /** Deletes every value held for the upstream. */
  deleteUpstream(upstream: string): Promise<void>;
}

/** Entries in process memory (lost on restart). */
export class InMemoryMcpOAuthEntries implements McpOAuthEntries {
  private readonly values = new Map<string, { upstream: string; identity: string; kind: McpOAuthEntryKind; value: unknown; sequence: number }>();
  private sequence = 0;

  private static key(upstream: string, identity: string, kind: McpOAuthEntryKind): string {
    return JSON.stringify([upstream, identity, kind]);
  }

  get(upstream: string, identity: string, kind: McpOAuthEntryKind): Promise<unknown> {
    return Promise.resolve(this.values.get(InMemoryMcpOAuthEntries.key(upstream, identity, kind))?.value);
  }

  set(upstream: string, identity: string, kind: McpOAuthEntryKind, value: unknown): Promise<void> {
    this.sequence += 1;
    this.values.set(InMemoryMcpOAuthEntries.key(upstream, identity, kind), { upstream, identity, kind, value: structuredClone(value), sequence: this.sequence });
    return Promise.resolve();
  }

  delete(upstream: string, identity: string, kind: McpOAuthEntryKind): Promise<boolean> {
    return Promise.resolve(this.values.delete(InMemoryMcpOAuthEntries.key(upstream, identity, kind)));
  }

  deleteUpstream(upstream: string): Promise<void> {
    for (const [key, entry] of this.values) if (entry.upstream === upstream) this.values.delete(key);
    return Promise.resolve();
  }

  identities(upstream: string, kind: McpOAuthEntryKind): Promise<string[]> {
    const matching = [...this.values.values()].filter((entry) => entry.upstream === upstream && entry.kind === kind);
    return Promise.resolve(matching.sort((left, right) => right.sequence - left.sequence).map((entry) => entry.identity));
  }
}

/** A caller's tokens for an upstream and the redirect URL they were obtained with (refreshes reuse its client). */
export interface StoredOAuthGrant {
  tokens: OAuthTokens;
  redirectUrl: string;
  /** ms since the epoch. */
  obtainedAt: number;
}

/** An authorization in progress, by its `state`. */
export interface PendingOAuthAuthorization {
  upstreamId: string;
  identityKey: string;
  codeVerifier: string;
  redirectUrl: string;
  /** ms since the epoch. */
  expiresAt: number;
}

/** How long a user has to finish an authorization they started, ms. */
export const PENDING_AUTHORIZATION_TTL_MS = 15 * 60_000;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The upstream a `state` belongs to: states are `<upstream>.<random>` (upstream names hold no '.'). */
export function upstreamOfState(state: string): string | undefined {
  const dot = state.indexOf('.');
  return dot > 0 ? state.slice(0, dot) : undefined;
}

/** Typed access to the OAuth entries. */
export class McpOAuthStore {
  constructor(private readonly entries: McpOAuthEntries) {}

  async grant(upstreamId: string, identityKey: string): Promise<StoredOAuthGrant | undefined> {
    const value = await this.entries.get(upstreamId, identityKey, 'oauth-tokens');
    if (!isObject(value) || !isObject(value.tokens) || typeof value.tokens.access_token !== 'string' || typeof value.redirectUrl !== 'string') return undefined;
    return value as unknown as StoredOAuthGrant;
  }

  saveGrant(upstreamId: string, identityKey: string, grant: StoredOAuthGrant): Promise<void> {
    return this.entries.set(upstreamId, identityKey, 'oauth-tokens', grant);
  }

  deleteGrant(upstreamId: string, identityKey: string): Promise<boolean> {
    return this.entries.delete(upstreamId, identityKey, 'oauth-tokens');
  }

  /** The identity that authorised the upstream most recently, if any. */
  async latestAuthorizedIdentity(upstreamId: string): Promise<string | undefined> {
    return (await this.entries.identities(upstreamId, 'oauth-tokens'))[0];
  }

  async client(upstreamId: string): Promise<OAuthClientInformationMixed | undefined> {
    const value = await this.entries.get(upstreamId, '', 'oauth-client');
    return isObject(value) && typeof value.client_id === 'string' ? (value as unknown as OAuthClientInformationMixed) : undefined;
  }

  saveClient(upstreamId: string, information: OAuthClientInformationMixed): Promise<void> {
    return this.entries.set(upstreamId, '', 'oauth-client', information);
  }

  async deleteClient(upstreamId: string): Promise<void> {
    await this.entries.delete(upstreamId, '', 'oauth-client');
  }

  /** Forgets everything held for the upstream (it was deleted). */
  deleteUpstream(upstreamId: string): Promise<void> {
    return this.entries.deleteUpstream(upstreamId);
  }

  /** Stores an authorization in progress, and drops the upstream's expired ones (links never opened). */
  async savePending(state: string, pending: PendingOAuthAuthorization, now: number): Promise<void> {
    for (const identity of await this.entries.identities(pending.upstreamId, 'oauth-pending')) {
      const value = await this.entries.get(pending.upstreamId, identity, 'oauth-pending');
      if (!isObject(value) || typeof value.expiresAt !== 'number' || value.expiresAt <= now) await this.entries.delete(pending.upstreamId, identity, 'oauth-pending');
    }
    await this.entries.set(pending.upstreamId, `state:${state}`, 'oauth-pending', pending);
  }

  /** The authorization started with `state`, removed so that it is used once; undefined when unknown or expired. */
  async takePending(state: string, now: number): Promise<PendingOAuthAuthorization | undefined> {
    const upstreamId = upstreamOfState(state);
    if (upstreamId === undefined) return undefined;
    const value = await this.entries.get(upstreamId, `state:${state}`, 'oauth-pending');
    if (!isObject(value)) return undefined;
    await this.entries.delete(upstreamId, `state:${state}`, 'oauth-pending');
    const pending = value as unknown as PendingOAuthAuthorization;
    return pending.upstreamId === upstreamId && pending.expiresAt > now ? pending : undefined;
  }
}
