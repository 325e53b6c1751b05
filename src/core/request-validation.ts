import { GatewayError } from './errors.js';

/**
 * Small helpers for validating a parsed JSON request while converting it. Paths are written the
 * way Anthropic's API writes them (`messages.0.content.1.text`), and every failure is a 400
 * `invalid_request_error` naming the field.
 */

export type JsonObject = Record<string, unknown>;

export function invalidField(path: string, message: string): GatewayError {
  return new GatewayError('invalid_request_error', path === '' ? message : `${path}: ${message}`);
}

export function joinPath(path: string, key: string | number): string {
  return path === '' ? String(key) : `${path}.${key}`;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function expectObject(value: unknown, path: string): JsonObject {
  if (!isJsonObject(value)) throw invalidField(path, 'Input should be a valid dictionary or object');
  return value;
}

export function expectArray(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw invalidField(path, 'Input should be a valid list');
  return value;
}

export function expectString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw invalidField(path, value === undefined ? 'Field required' : 'Input should be a valid string');
  return value;
}

export function optionalString(value: unknown, path: string): string | undefined {
  return value === undefined || value === null ? undefined : expectString(value, path);
}

export function expectNumber(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalidField(path, value === undefined ? 'Field required' : 'Input should be a valid number');
  }
  return value;
}

export function optionalNumber(value: unknown, path: string): number | undefined {
  return value === undefined || value === null ? undefined : expectNumber(value, path);
}

export function expectInteger(value: unknown, path: string, minimum: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw invalidField(path, value === undefined ? 'Field required' : 'Input should be a valid integer');
  }
  if (value < minimum) throw invalidField(path, `Input should be greater than or equal to ${minimum}`);
  return value;
}

export function optionalBoolean(value: unknown, path: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidField(path, 'Input should be a valid boolean');
  return value;
}

/** Refuses keys outside `allowed`, with Anthropic's wording. */
export function rejectUnknownKeys(object: JsonObject, allowed: ReadonlySet<string>, path: string): void {
  for (const key in object) {
    if (!allowed.has(key)) throw invalidField(joinPath(path, key), 'Extra inputs are not permitted');
  }
}
