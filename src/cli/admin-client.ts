import { CliFailure } from './cli-support.js';

/**
 * The `heimdall` subcommands that manage a gateway (`keys`, `usage`, `admin`) talk to a running
 * gateway's admin API over HTTP, the same API the dashboard uses: one code path with the gateway's
 * validation, changes take effect at once in the running process (a revoked key stops working
 * immediately, not after a cache TTL), and it works against a remote gateway or a replica set on
 * PostgreSQL without giving the CLI the database credentials or the encryption key.
 *
 * Options every such command takes: `--url` (default `HEIMDALL_URL`, else
 * `http://127.0.0.1:8080`) and `--admin-token` (default `HEIMDALL_ADMIN_TOKEN`). Without a token the
 * request is admitted only when the gateway has no admin credential and the CLI runs on its machine.
 */

/** Where the gateway is when neither `--url` nor `HEIMDALL_URL` says. */
export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:8080';

/** The options of {@link AdminClient} as `node:util` parseArgs declares them. */
export const CLIENT_OPTIONS = {
  url: { type: 'string' },
  'admin-token': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** Help text of the client options. */
export const CLIENT_OPTIONS_HELP = `  --url URL            the gateway (default HEIMDALL_URL, else ${DEFAULT_GATEWAY_URL})
  --admin-token TOKEN  admin token (default HEIMDALL_ADMIN_TOKEN; not needed on the gateway's
                       machine while it has no admin credential)
  --json               print the API's JSON answer instead of text`;

/** The admin API's error body. */
interface ApiErrorBody {
  error?: { message?: string; type?: string; param?: string | null; code?: string | null };
}

/** A refusal from the admin API. */
export class AdminApiCallError extends CliFailure {
  readonly status: number;
  readonly code: string | undefined;

  constructor(status: number, message: string, code: string | undefined) {
    super(message);
    this.name = 'AdminApiCallError';
    this.status = status;
    this.code = code;
  }
}

/** A small client of the admin API. */
export class AdminClient {
  readonly baseUrl: string;
  readonly #token: string | undefined;

  constructor(options: { url?: string; adminToken?: string }, environment: NodeJS.ProcessEnv = process.env) {
    this.baseUrl = (options.url ?? (environment.HEIMDALL_URL || DEFAULT_GATEWAY_URL)).replace(/\/+$/, '');
    this.#token = options.adminToken ?? (environment.HEIMDALL_ADMIN_TOKEN || undefined);
  }

  get<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
    const search = new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined));
    const suffix = search.size === 0 ? '' : `?${search.toString()}`;
    return this.request<T>('GET', `${path}${suffix}`);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  /**
   * Sends one request.
   * @throws CliFailure when the gateway cannot be reached
   * @throws AdminApiCallError when it answers with an error (its message, plus a hint for 401/403)
   */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new CliFailure(`cannot reach a Heimdall gateway at ${this.baseUrl} (${reason}); start one with \`heimdall serve\`, or pass --url`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new CliFailure(`${this.baseUrl}${path} answered ${response.status} with something other than JSON; is it a Heimdall gateway?`);
    }
    if (response.ok) return parsed as T;
    const error = (parsed as ApiErrorBody | undefined)?.error;
    let message = error?.message ?? `HTTP ${response.status}`;
    if (response.status === 401) message += this.#token === undefined ? ' (pass --admin-token or set HEIMDALL_ADMIN_TOKEN)' : ' (check --admin-token / HEIMDALL_ADMIN_TOKEN)';
    if (response.status === 404 && error?.code === 'no_route') message += ' (is this gateway running with its store? `heimdall serve` starts it)';
    throw new AdminApiCallError(response.status, message, error?.code ?? undefined);
  }
}
