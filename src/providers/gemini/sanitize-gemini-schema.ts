import type { GeminiSchema } from './gemini-api-types.js';

/**
 * Turns a JSON Schema (as Anthropic tools and structured-output formats carry it: draft 2020-12 or
 * draft 7) into the OpenAPI-3.0 subset Gemini accepts for `FunctionDeclaration.parameters` and
 * `generationConfig.responseSchema`. Gemini answers 400 for any keyword outside the subset
 * (`Unknown name "additionalProperties"`, `"propertyNames"`, `"exclusiveMinimum"`, `"const"`, …).
 *
 * Kept as they are: `type` (one type), `description`, `title`, `default`, `example`, `nullable`,
 * `enum` (strings), `properties`, `required`, `propertyOrdering`, `items`, `minItems`, `maxItems`,
 * `minProperties`, `maxProperties`, `minLength`, `maxLength`, `pattern`, `minimum`, `maximum`,
 * `anyOf`.
 *
 * Rewritten:
 * - `type: ["string", "null"]` → `type: "string"` + `nullable: true`; several non-null types →
 *   `anyOf` of one type each;
 * - `anyOf` / `oneOf` members `{type: "null"}` → `nullable: true`; a single remaining member is
 *   merged into the schema; `oneOf` becomes `anyOf`; `allOf` is merged into one schema;
 * - `const: "x"` → `enum: ["x"]`; non-string `enum` values (numbers, booleans) move into the
 *   description (`Allowed values: 1, 2`), since Gemini enums are strings; `null` in an enum →
 *   `nullable`;
 * - `exclusiveMinimum: n` → `minimum` (`n + 1` for integers, `n` for numbers: the bound becomes
 *   inclusive); the same for `exclusiveMaximum`;
 * - `format`: only `date-time` / `enum` (strings), `float` / `double` (numbers) and `int32` /
 *   `int64` (integers) are kept; others (`uri`, `email`, `uuid`, …) are removed;
 * - local `$ref`s (`#/$defs/…`, `#/definitions/…`) are inlined; a recursive reference becomes
 *   `{type: "object"}` at its second appearance;
 * - `required` keeps only names present in `properties` (Gemini rejects the others); `properties`
 *   without a `type` imply `type: "object"`; an array without `items` gets `items: {}`.
 *
 * Removed: everything else (`$schema`, `$id`, `$defs`, `additionalProperties`, `propertyNames`,
 * `patternProperties`, `not`, `if`/`then`/`else`, `uniqueItems`, `multipleOf`, `examples`, …).
 *
 * Pure: the input is not modified.
 *
 * @returns the sanitised schema and the JSON paths of what was removed or rewritten lossily
 * @see https://ai.google.dev/api/caching#Schema
 */
export function sanitizeGeminiSchema(schema: Record<string, unknown>): { schema: GeminiSchema; removed: string[] } {
  const sanitizer = new SchemaSanitizer(schema);
  return { schema: sanitizer.convert(schema, '#', new Set()), removed: sanitizer.removed };
}

/**
 * The `parameters` of a Gemini function declaration for a tool's JSON Schema, or `undefined` for a
 * tool without arguments (Gemini rejects an object schema whose `properties` are empty).
 */
export function geminiFunctionParameters(inputSchema: Record<string, unknown>): { parameters: GeminiSchema | undefined; removed: string[] } {
  const { schema, removed } = sanitizeGeminiSchema(inputSchema);
  const properties = schema.properties;
  const hasProperties = typeof properties === 'object' && properties !== null && Object.keys(properties).length > 0;
  if (schema.type === 'object' && !hasProperties) return { parameters: undefined, removed };
  return { parameters: schema, removed };
}

/** Keywords copied as they are when their value has the right JSON type. */
const COPIED_STRING_KEYWORDS = ['description', 'title', 'pattern'] as const;
const COPIED_NUMBER_KEYWORDS = ['minItems', 'maxItems', 'minProperties', 'maxProperties', 'minLength', 'maxLength', 'minimum', 'maximum'] as const;
/** Keywords whose value is kept whatever it is. */
const COPIED_ANY_KEYWORDS = ['default', 'example'] as const;
/** Keywords handled explicitly by {@link SchemaSanitizer.convert}. */
const HANDLED_KEYWORDS: ReadonlySet<string> = new Set([
  ...COPIED_STRING_KEYWORDS,
  ...COPIED_NUMBER_KEYWORDS,
  ...COPIED_ANY_KEYWORDS,
  'type',
  'nullable',
  'enum',
  'const',
  'format',
  'properties',
  'required',
  'propertyOrdering',
  'items',
  'anyOf',
  'oneOf',
  'allOf',
  'exclusiveMinimum',
  'exclusiveMaximum',
  '$ref',
]);

/** `format` values Gemini accepts, by type. */
const ALLOWED_FORMATS: Readonly<Record<string, ReadonlySet<string>>> = {
  string: new Set(['date-time', 'enum']),
  number: new Set(['float', 'double']),
  integer: new Set(['int32', 'int64']),
};

const JSON_SCHEMA_TYPES: ReadonlySet<string> = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object', 'null']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class SchemaSanitizer {
  readonly removed: string[] = [];

  constructor(private readonly root: Record<string, unknown>) {}

  /**
   * Converts one schema node. `path` is a JSON-pointer-like location for the `removed` list;
   * `expanding` holds the `$ref`s being inlined above this node (recursion guard).
   */
  convert(node: unknown, path: string, expanding: ReadonlySet<string>): GeminiSchema {
    if (node === true || node === undefined) return {};
    if (!isRecord(node)) {
      this.removed.push(path);
      return {};
    }
    if (typeof node.$ref === 'string') return this.convertReference(node, path, expanding);

    const result: GeminiSchema = {};
    let nullable = node.nullable === true;
    let description = typeof node.description === 'string' ? node.description : undefined;

    // type
    const types = (Array.isArray(node.type) ? node.type : node.type === undefined ? [] : [node.type]).filter(
      (type): type is string => typeof type === 'string' && JSON_SCHEMA_TYPES.has(type),
    );
    if (types.includes('null')) nullable = true;
    const nonNullTypes = types.filter((type) => type !== 'null');
    if (nonNullTypes.length === 1) result.type = nonNullTypes[0];
    else if (nonNullTypes.length > 1) result.anyOf = nonNullTypes.map((type) => ({ type }));

    for (const keyword of COPIED_STRING_KEYWORDS) if (typeof node[keyword] === 'string') result[keyword] = node[keyword];
    for (const keyword of COPIED_NUMBER_KEYWORDS) if (typeof node[keyword] === 'number') result[keyword] = node[keyword];
    for (const keyword of COPIED_ANY_KEYWORDS) if (node[keyword] !== undefined) result[keyword] = node[keyword];

    // enum / const
    const enumValues = Array.isArray(node.enum) ? [...node.enum] : node.const !== undefined ? [node.const] : undefined;
    if (enumValues !== undefined) {
      if (enumValues.includes(null)) nullable = true;
      const values = enumValues.filter((value) => value !== null);
      if (values.every((value): value is string => typeof value === 'string')) {
        if (values.length > 0) {
          result.enum = values;
          if (result.type === undefined) result.type = 'string';
        }
      } else {
        this.removed.push(`${path}/${node.enum === undefined ? 'const' : 'enum'}`);
        description = appendSentence(description, `Allowed values: ${values.map((value) => JSON.stringify(value)).join(', ')}.`);
      }
    }

    // numeric bounds
    this.convertExclusiveBound(node, result, 'exclusiveMinimum', 'minimum', path);
    this.convertExclusiveBound(node, result, 'exclusiveMaximum', 'maximum', path);

    // format
    if (typeof node.format === 'string') {
      const allowed = typeof result.type === 'string' ? ALLOWED_FORMATS[result.type] : undefined;
      if (allowed !== undefined && allowed.has(node.format)) result.format = node.format;
      else this.removed.push(`${path}/format`);
    }

    // object
    if (isRecord(node.properties)) {
      const properties: Record<string, GeminiSchema> = {};
      for (const [name, propertySchema] of Object.entries(node.properties)) {
        properties[name] = this.convert(propertySchema, `${path}/properties/${name}`, expanding);
      }
      if (result.type === undefined) result.type = 'object';
      if (result.type === 'object') result.properties = properties;
      else this.removed.push(`${path}/properties`);
      if (Array.isArray(node.required) && result.type === 'object') {
        const required = node.required.filter((name): name is string => typeof name === 'string' && name in properties);
        if (required.length !== node.required.length) this.removed.push(`${path}/required`);
        if (required.length > 0) result.required = required;
      }
      if (Array.isArray(node.propertyOrdering) && result.type === 'object') {
        result.propertyOrdering = node.propertyOrdering.filter((name) => typeof name === 'string' && name in properties);
      }
    } else if (Array.isArray(node.required) && node.required.length > 0) {
      this.removed.push(`${path}/required`);
    }

    // array
    if (node.items !== undefined) {
      if (Array.isArray(node.items)) {
        // draft-4 tuple form: any of the positional schemas
        result.items = { anyOf: node.items.map((item, index) => this.convert(item, `${path}/items/${index}`, expanding)) };
      } else {
        result.items = this.convert(node.items, `${path}/items`, expanding);
      }
      if (result.type === undefined) result.type = 'array';
    }
    if (result.type === 'array' && result.items === undefined) result.items = {};

    // composition
    const alternatives = Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : undefined;
    if (alternatives !== undefined) {
      const keyword = Array.isArray(node.anyOf) ? 'anyOf' : 'oneOf';
      const members: GeminiSchema[] = [];
      alternatives.forEach((member, index) => {
        if (isRecord(member) && member.type === 'null' && Object.keys(member).every((key) => key === 'type' || key === 'description')) {
          nullable = true;
          return;
        }
        members.push(this.convert(member, `${path}/${keyword}/${index}`, expanding));
      });
      this.mergeAlternatives(result, members);
    }
    if (Array.isArray(node.allOf)) {
      node.allOf.forEach((member, index) => mergeSchemaInto(result, this.convert(member, `${path}/allOf/${index}`, expanding)));
    }

    if (description !== undefined) result.description = description;
    if (nullable) result.nullable = true;

    for (const key of Object.keys(node)) {
      if (!HANDLED_KEYWORDS.has(key)) this.removed.push(`${path}/${key}`);
    }
    return result;
  }

  private convertReference(node: Record<string, unknown>, path: string, expanding: ReadonlySet<string>): GeminiSchema {
    const reference = node.$ref as string;
    const target = resolveLocalReference(this.root, reference);
    if (target === undefined || expanding.has(reference)) {
      this.removed.push(`${path}/$ref`);
      const placeholder: GeminiSchema = { type: 'object' };
      if (typeof node.description === 'string') placeholder.description = node.description;
      return placeholder;
    }
    const inlined = this.convert(target, path, new Set([...expanding, reference]));
    // sibling keywords of $ref (draft 2019+) refine the referenced schema
    const { $ref: _reference, ...siblings } = node;
    if (Object.keys(siblings).length > 0) mergeSchemaInto(inlined, this.convert(siblings, path, expanding), true);
    return inlined;
  }

  /** `exclusiveMinimum: n` (draft 6+) → `minimum`; the boolean draft-4 form is removed. */
  private convertExclusiveBound(
    node: Record<string, unknown>,
    result: GeminiSchema,
    keyword: 'exclusiveMinimum' | 'exclusiveMaximum',
    inclusive: 'minimum' | 'maximum',
    path: string,
  ): void {
    const value = node[keyword];
    if (value === undefined) return;
    if (typeof value !== 'number') {
      this.removed.push(`${path}/${keyword}`);
      return;
    }
    const isInteger = result.type === 'integer';
    const bound = isInteger ? (keyword === 'exclusiveMinimum' ? Math.floor(value) + 1 : Math.ceil(value) - 1) : value;
    const existing = result[inclusive];
    const tighter =
      typeof existing !== 'number' || (keyword === 'exclusiveMinimum' ? bound > existing : bound < existing);
    if (tighter) result[inclusive] = bound;
    if (!isInteger) this.removed.push(`${path}/${keyword}`); // the bound became inclusive
  }

  /** Folds converted `anyOf`/`oneOf` members into `result`. */
  private mergeAlternatives(result: GeminiSchema, members: GeminiSchema[]): void {
    if (members.length === 0) return;
    if (members.length === 1) {
      mergeSchemaInto(result, members[0]);
      return;
    }
    // alternatives that are all plain string enums are one enum (Claude Code's TaskUpdate.status)
    if (result.anyOf === undefined && members.every(isPlainStringEnum)) {
      mergeSchemaInto(result, { type: 'string', enum: [...new Set(members.flatMap((member) => member.enum as string[]))] });
      return;
    }
    const existing = Array.isArray(result.anyOf) ? (result.anyOf as GeminiSchema[]) : [];
    result.anyOf = [...existing, ...members];
  }
}

/** Resolves `#/$defs/Name`, `#/definitions/Name` and other local JSON pointers. */
function resolveLocalReference(root: Record<string, unknown>, reference: string): unknown {
  if (reference === '#') return root;
  if (!reference.startsWith('#/')) return undefined;
  let current: unknown = root;
  for (const rawSegment of reference.slice(2).split('/')) {
    const segment = decodeURIComponent(rawSegment).replaceAll('~1', '/').replaceAll('~0', '~');
    if (!isRecord(current)) return undefined;
    current = current[segment];
  }
  return current;
}

/**
 * Merges `source` into `target`: properties and required names are united, other keywords are
 * taken from `source` only where `target` has none (or always, with `override`).
 */
function mergeSchemaInto(target: GeminiSchema, source: GeminiSchema, override = false): void {
  for (const [key, value] of Object.entries(source)) {
    if (key === 'properties' && isRecord(value)) {
      target.properties = { ...(isRecord(target.properties) ? target.properties : {}), ...value };
    } else if (key === 'required' && Array.isArray(value)) {
      const existing = Array.isArray(target.required) ? (target.required as string[]) : [];
      target.required = [...new Set([...existing, ...(value as string[])])];
    } else if (key === 'description' && typeof target.description === 'string' && !override) {
      continue; // the outer description wins
    } else if (override || target[key] === undefined) {
      target[key] = value;
    }
  }
  if (isRecord(target.properties) && target.type === undefined) target.type = 'object';
}

/** `{type: "string", enum: [...]}`, optionally with a description, and nothing else. */
function isPlainStringEnum(schema: GeminiSchema): boolean {
  return (
    schema.type === 'string' &&
    Array.isArray(schema.enum) &&
    Object.keys(schema).every((key) => key === 'type' || key === 'enum' || key === 'description')
  );
}

function appendSentence(text: string | undefined, sentence: string): string {
  return text === undefined || text === '' ? sentence : `${text}\n${sentence}`;
}
