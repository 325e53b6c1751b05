import type { GeminiPartialArg } from './gemini-api-types.js';

/** One step of a JSON path: an object key or an array index. */
type PathSegment = string | number;

/**
 * Parses the JSON paths Vertex uses for streamed function-call arguments (RFC 9535 normalized
 * paths: `$.name`, `$['name']`, `$.list[0].field`). Returns undefined for anything else.
 * @see https://datatracker.ietf.org/doc/html/rfc9535
 */
export function parseArgumentPath(jsonPath: string): PathSegment[] | undefined {
  if (!jsonPath.startsWith('$')) return undefined;
  const segments: PathSegment[] = [];
  let rest = jsonPath.slice(1);
  while (rest !== '') {
    let match = /^\.([A-Za-z_$][\w$-]*)/.exec(rest);
    if (match !== null) {
      segments.push(match[1]);
    } else if ((match = /^\[(\d+)\]/.exec(rest)) !== null) {
      segments.push(Number(match[1]));
    } else if ((match = /^\['((?:[^'\\]|\\.)*)'\]/.exec(rest)) !== null) {
      segments.push(match[1].replace(/\\(.)/g, '$1'));
    } else if ((match = /^\["((?:[^"\\]|\\.)*)"\]/.exec(rest)) !== null) {
      segments.push(match[1].replace(/\\(.)/g, '$1'));
    } else {
      return undefined;
    }
    rest = rest.slice(match[0].length);
  }
  return segments;
}

/**
 * Applies one streamed argument piece to the arguments object being built (mutated). String
 * pieces for a path that already holds a string are appended (Vertex splits long strings over
 * several pieces); numbers, booleans and nulls are set. Objects and arrays on the way are created.
 *
 * @returns false when the piece has no usable path or value (it is ignored)
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/Content#PartialArg
 */
export function applyPartialArgument(target: Record<string, unknown>, piece: GeminiPartialArg): boolean {
  if (typeof piece.jsonPath !== 'string') return false;
  const path = parseArgumentPath(piece.jsonPath);
  if (path === undefined || path.length === 0) return false;
  let value: unknown;
  let append = false;
  if (typeof piece.stringValue === 'string') {
    value = piece.stringValue;
    append = true;
  } else if (typeof piece.numberValue === 'number') value = piece.numberValue;
  else if (typeof piece.boolValue === 'boolean') value = piece.boolValue;
  else if ('nullValue' in piece) value = null;
  else return false;

  let container: Record<string, unknown> | unknown[] = target;
  for (let position = 0; position < path.length - 1; position += 1) {
    const segment = path[position];
    const nextIsIndex = typeof path[position + 1] === 'number';
    const existing: unknown = readChild(container, segment);
    if (typeof existing === 'object' && existing !== null) {
      container = existing as Record<string, unknown> | unknown[];
      continue;
    }
    const created: Record<string, unknown> | unknown[] = nextIsIndex ? [] : {};
    writeChild(container, segment, created);
    container = created;
  }
  const last = path[path.length - 1];
  const current = readChild(container, last);
  writeChild(container, last, append && typeof current === 'string' ? current + (value as string) : value);
  return true;
}

function readChild(container: Record<string, unknown> | unknown[], segment: PathSegment): unknown {
  if (Array.isArray(container)) return typeof segment === 'number' ? container[segment] : undefined;
  return typeof segment === 'string' ? container[segment] : container[String(segment)];
}

function writeChild(container: Record<string, unknown> | unknown[], segment: PathSegment, value: unknown): void {
  if (Array.isArray(container) && typeof segment === 'number') {
    while (container.length < segment) container.push(null);
    container[segment] = value;
    return;
  }
  (container as Record<string, unknown>)[String(segment)] = value;
}
