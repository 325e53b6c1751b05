/**
 * Converts a Gemini `Schema` (OpenAPI 3.0 subset, types often upper-case: `OBJECT`, `STRING`) into
 * a JSON Schema the IR and other providers understand: lower-case types, `nullable: true` →
 * `type: [t, "null"]` (or an `anyOf` member `{type: "null"}`), `format: "enum"` removed (the
 * `enum` list says it), `propertyOrdering` and `example` removed. Nested `properties`, `items` and
 * `anyOf` are converted the same way. Pure.
 *
 * A `parametersJsonSchema` / `responseJsonSchema` is already JSON Schema and is used as it is.
 *
 * @see https://ai.google.dev/api/caching#Schema
 */
export function convertGeminiSchemaToJsonSchema(schema: unknown): Record<string, unknown> {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return {};
  const source = schema as Record<string, unknown>;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    switch (key) {
      case 'type':
        if (typeof value === 'string' && value !== 'TYPE_UNSPECIFIED') result.type = value.toLowerCase();
        break;
      case 'nullable':
      case 'propertyOrdering':
      case 'example':
        break;
      case 'format':
        if (value !== 'enum') result.format = value;
        break;
      case 'properties':
        if (typeof value === 'object' && value !== null) {
          result.properties = Object.fromEntries(Object.entries(value).map(([name, property]) => [name, convertGeminiSchemaToJsonSchema(property)]));
        }
        break;
      case 'items':
        result.items = convertGeminiSchemaToJsonSchema(value);
        break;
      case 'anyOf':
        if (Array.isArray(value)) result.anyOf = value.map((member) => convertGeminiSchemaToJsonSchema(member));
        break;
      case 'minItems':
      case 'maxItems':
      case 'minLength':
      case 'maxLength':
      case 'minProperties':
      case 'maxProperties':
        // int64 fields arrive as strings in proto JSON
        result[key] = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
        break;
      default:
        result[key] = value;
    }
  }
  if (source.nullable === true) {
    if (typeof result.type === 'string') result.type = [result.type, 'null'];
    else if (Array.isArray(result.anyOf)) result.anyOf = [...result.anyOf, { type: 'null' }];
  }
  return result;
}
