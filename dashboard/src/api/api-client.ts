/**
 * The dashboard's HTTP client: `fetch` against the gateway's own admin and logs APIs (same
 * origin). Credentials: the `heimdall_session` cookie set by `POST /api/auth/login` (HttpOnly,
 * sent by the browser), or an admin token kept in this tab's sessionStorage and sent as
 * `Authorization: Bearer`. Errors of both APIs carry `error.message`; they become {@link ApiError}.
 */

const TOKEN_STORAGE_KEY = 'heimdall.admin-token';

/** An answer outside 2xx (or a network failure, status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Listeners told when an API answer says the credential is missing or no longer valid (401). */
const unauthorizedListeners = new Set<() => void>();

/** Calls `listener` on every 401; returns the unsubscribe function. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** The admin token this tab uses, if the user logged in with one. */
export function adminToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_STORAGE_KEY) ?? undefined;
}

/** Uses `token` as the admin bearer token for this tab (undefined: forget it). */
export function setAdminToken(token: string | undefined): void {
  if (token === undefined) sessionStorage.removeItem(TOKEN_STORAGE_KEY);
  else sessionStorage.setItem(TOKEN_STORAGE_KEY, token);
}

/** Headers every API request carries. */
export function authHeaders(): Record<string, string> {
  const token = adminToken();
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function errorFrom(response: Response): Promise<ApiError> {
  let payload: unknown;
  try {
    payload = await response.json();
  } catch {
    payload = undefined;
  }
  const error = isRecord(payload) && isRecord(payload.error) ? payload.error : undefined;
  const message = typeof error?.message === 'string' ? error.message : `${response.status} ${response.statusText}`;
  const type = typeof error?.type === 'string' ? error.type : 'api_error';
  const param = typeof error?.param === 'string' ? error.param : null;
  return new ApiError(response.status, message, type, param);
}

/**
 * Sends one API request and parses the JSON answer (undefined for 204).
 * @throws ApiError for a non-2xx answer (after telling the 401 listeners) or a network failure
 */
export async function apiRequest<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: { ...authHeaders(), ...(body === undefined ? {} : { 'content-type': 'application/json' }), accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch (cause) {
    throw new ApiError(0, `the gateway did not answer: ${cause instanceof Error ? cause.message : String(cause)}`, 'network_error');
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401) for (const listener of unauthorizedListeners) listener();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** A query string of the defined, non-empty values (with the leading `?`, or empty). */
export function queryString(parameters: Readonly<Record<string, string | number | undefined>>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value !== undefined && value !== '') query.set(name, String(value));
  }
  const text = query.toString();
  return text === '' ? '' : `?${text}`;
}
