import { ConfigError } from '../config/load-config.js';
import { GatewayError } from '../core/errors.js';
import { ConflictStorageError, InvalidValueStorageError, NotFoundStorageError, StorageError } from '../storage/storage-errors.js';

/**
 * Admin API errors. Every failure is answered as
 * `{"error": {"message", "type", "param", "code"}}` with its status: validation 400 (naming the
 * field in `param`), 401 no or wrong credential, 403 refused (remote request while no credential
 * is configured, cross-origin cookie request), 404, 405, 409, 413, 429 (login throttling), 500.
 */

/** The `type` of an admin API error. */
export type AdminErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'rate_limit_error'
  | 'request_too_large'
  | 'api_error';

/** The JSON body of an admin API error. */
export interface AdminErrorBody {
  error: { message: string; type: AdminErrorType; param: string | null; code: string | null };
}

/** An error the admin API answers with. */
export class AdminApiError extends Error {
  readonly status: number;
  readonly type: AdminErrorType;
  readonly param: string | null;
  readonly code: string | null;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    type: AdminErrorType,
    message: string,
    options: { param?: string; code?: string; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AdminApiError';
    this.status = status;
    this.type = type;
    this.param = options.param ?? null;
    this.code = options.code ?? null;
    this.headers = options.headers ?? {};
  }

  body(): AdminErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400 naming the field at fault. */
export function invalidField(param: string, message: string): AdminApiError {
  return new AdminApiError(400, 'invalid_request_error', `${param}: ${message}`, { param, code: 'validation_failed' });
}

/** 404 for an entity looked up by id or name. */
export function notFound(entity: string, reference: string): AdminApiError {
  return new AdminApiError(404, 'not_found_error', `${entity} '${reference}' does not exist`, { code: 'not_found' });
}

const FIELD_IN_MESSAGE = /^(?:[a-z ]+: )?([a-z_]+(?:\.[a-z0-9_]+)*):/;

/** The field a storage or config message starts with (`budget: limit_usd must…` → `limit_usd`). */
function fieldOfMessage(message: string): string | undefined {
  const knownField = /\b(limit_usd|period|alignment|window|requests|tokens|weight|username|password|expires_at)\b/.exec(message);
  if (knownField !== null) return knownField[1];
  return FIELD_IN_MESSAGE.exec(message)?.[1];
}

const GATEWAY_KIND_TYPES: Record<string, AdminErrorType> = {
  invalid_request_error: 'invalid_request_error',
  authentication_error: 'authentication_error',
  permission_error: 'permission_error',
  not_found_error: 'not_found_error',
  request_too_large: 'request_too_large',
  rate_limit_error: 'rate_limit_error',
};

/**
 * Any error thrown while serving an admin request, as an {@link AdminApiError}: storage errors map
 * to 404 / 409 / 400, config errors (a provider that would not load) to 400, gateway errors keep
 * their status, anything else is a 500 that names no internals.
 */
export function toAdminApiError(error: unknown): AdminApiError {
  if (error instanceof AdminApiError) return error;
  if (error instanceof NotFoundStorageError) return new AdminApiError(404, 'not_found_error', error.message, { code: 'not_found', cause: error });
  if (error instanceof ConflictStorageError) return new AdminApiError(409, 'conflict_error', error.message, { code: 'conflict', cause: error });
  if (error instanceof InvalidValueStorageError) {
    return new AdminApiError(400, 'invalid_request_error', error.message, { param: fieldOfMessage(error.message), code: 'invalid_value', cause: error });
  }
  if (error instanceof ConfigError) {
    // `providers.<name>.keys.0.value: …` → `keys.0.value`
    const path = /^(?:invalid config [^:]*:\s*)?providers\.[^.\s]+\.([A-Za-z0-9_.]+):/.exec(error.message.trim());
    return new AdminApiError(400, 'invalid_request_error', error.message.replace(/\s*\n\s*/g, '; '), { param: path?.[1], code: 'invalid_value', cause: error });
  }
  if (error instanceof GatewayError) {
    const type = GATEWAY_KIND_TYPES[error.kind] ?? 'api_error';
    return new AdminApiError(error.status, type, error.message, { headers: error.headers, cause: error });
  }
  if (error instanceof StorageError) return new AdminApiError(500, 'api_error', `storage failure: ${error.message}`, { code: 'storage_error', cause: error });
  return new AdminApiError(500, 'api_error', 'internal error in the admin API (logged by the gateway)', { code: 'internal_error', cause: error });
}
