import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readSharedFixture, skipWithoutSharedFixtures } from '../../testing/fixtures.js';
import { geminiFunctionParameters, sanitizeGeminiSchema } from './sanitize-gemini-schema.js';

/** Every keyword of Gemini's `Schema` object (the OpenAPI 3.0 subset). @see https://ai.google.dev/api/caching#Schema */
const GEMINI_SCHEMA_KEYWORDS = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'maxItems',
  'minItems',
  'properties',
  'required',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'anyOf',
  'propertyOrdering',
  'default',
  'items',
  'minimum',
  'maximum',
]);
const GEMINI_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object']);
const GEMINI_FORMATS: Record<string, Set<string>> = {
  string: new Set(['date-time', 'enum']),
  number: new Set(['float', 'double']),
  integer: new Set(['int32', 'int64']),
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Fails with the path of the first construct Gemini would refuse. */
function assertGeminiSubset(schema: unknown, path: string): void {
  assert.ok(isRecord(schema), `${path} is a schema object`);
  for (const [key, value] of Object.entries(schema)) {
    assert.ok(GEMINI_SCHEMA_KEYWORDS.has(key), `${path}: keyword "${key}" is outside Gemini's Schema subset`);
    if (key === 'type') assert.ok(typeof value === 'string' && GEMINI_TYPES.has(value), `${path}.type: ${JSON.stringify(value)} is one Gemini type`);
    if (key === 'enum') assert.ok(Array.isArray(value) && value.every((item) => typeof item === 'string'), `${path}.enum holds strings only`);
    if (key === 'format') assert.ok(GEMINI_FORMATS[String(schema.type)]?.has(String(value)), `${path}.format ${String(value)} is allowed for ${String(schema.type)}`);
    if (key === 'nullable') assert.equal(typeof value, 'boolean');
  }
  if (schema.properties !== undefined) {
    assert.equal(schema.type, 'object', `${path}: properties only on objects`);
    assert.ok(isRecord(schema.properties));
    for (const [name, property] of Object.entries(schema.properties)) assertGeminiSubset(property, `${path}.properties.${name}`);
  }
  if (schema.required !== undefined) {
    assert.ok(Array.isArray(schema.required) && isRecord(schema.properties), `${path}: required needs properties`);
    for (const name of schema.required) assert.ok(name in schema.properties, `${path}.required names "${String(name)}", which is not a property`);
  }
  if (schema.type === 'array') assert.ok(schema.items !== undefined, `${path}: arrays carry items`);
  if (schema.items !== undefined) assertGeminiSubset(schema.items, `${path}.items`);
  if (schema.anyOf !== undefined) {
    assert.ok(Array.isArray(schema.anyOf));
    schema.anyOf.forEach((member, index) => assertGeminiSubset(member, `${path}.anyOf.${index}`));
  }
}

interface AnthropicTool {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
}

/** The tools of the recorded Claude Code requests (first turn and the turn after a tool result), by name. */
function claudeCodeTools(): AnthropicTool[] {
  const byName = new Map<string, AnthropicTool>();
  for (const file of ['claude-code/messages-first-turn.json', 'claude-code/messages-after-tool-result.json']) {
    const body = JSON.parse(readSharedFixture(file)) as { tools: AnthropicTool[] };
    for (const tool of body.tools) byName.set(tool.name, tool);
  }
  return [...byName.values()];
}

describe('sanitizeGeminiSchema over the real Claude Code tools', () => {
  it('turns every tool schema into one Gemini accepts, without changing the input', { skip: skipWithoutSharedFixtures() }, () => {
    const tools = claudeCodeTools();
    assert.ok(tools.length >= 25, `expected Claude Code's 25 tools, found ${tools.length}`);
    for (const tool of tools) {
      const before = structuredClone(tool.input_schema);
      const { parameters } = geminiFunctionParameters(tool.input_schema);
      assert.deepEqual(tool.input_schema, before, `${tool.name}: the input schema is not modified`);
      if (parameters === undefined) {
        const properties = tool.input_schema.properties;
        assert.ok(!isRecord(properties) || Object.keys(properties).length === 0, `${tool.name}: only argument-less tools lose their parameters`);
        continue;
      }
      assertGeminiSubset(parameters, tool.name);
      assert.equal(parameters.type, 'object', `${tool.name}: parameters are an object`);
      // every property and every required name survives
      const originalProperties = Object.keys(tool.input_schema.properties as Record<string, unknown>);
      assert.deepEqual(Object.keys(parameters.properties as Record<string, unknown>), originalProperties, `${tool.name}: all properties kept`);
      const originalRequired = (tool.input_schema.required as string[] | undefined) ?? [];
      assert.deepEqual(parameters.required ?? [], originalRequired.filter((name) => originalProperties.includes(name)), `${tool.name}: required kept`);
    }
  });

  it('keeps the meaning of the constructs Claude Code uses', { skip: skipWithoutSharedFixtures() }, () => {
    const tools = new Map(claudeCodeTools().map((tool) => [tool.name, tool]));
    const parametersOf = (name: string): Record<string, Record<string, unknown>> => {
      const tool = tools.get(name);
      assert.ok(tool !== undefined, `Claude Code tool ${name} is in the fixture`);
      const { parameters } = geminiFunctionParameters(tool.input_schema);
      return (parameters?.properties ?? {}) as Record<string, Record<string, unknown>>;
    };

    // Read.limit: integer with exclusiveMinimum 0 → minimum 1
    assert.deepEqual(
      { type: parametersOf('Read').limit.type, minimum: parametersOf('Read').limit.minimum },
      { type: 'integer', minimum: 1 },
    );
    // WebFetch.url: format uri is not accepted → removed, still a string with its description
    assert.equal(parametersOf('WebFetch').url.type, 'string');
    assert.equal(parametersOf('WebFetch').url.format, undefined);
    assert.equal(parametersOf('WebFetch').url.description, 'The URL to fetch content from');
    // TaskUpdate.status: anyOf of an enum and a const → one enum with every value
    assert.deepEqual(parametersOf('TaskUpdate').status.enum, ['pending', 'in_progress', 'completed', 'deleted']);
    assert.equal(parametersOf('TaskUpdate').status.type, 'string');
    // TaskCreate.metadata: a free-form map (propertyNames + additionalProperties) → a plain object
    const metadataDescription = ((tools.get('TaskCreate')?.input_schema.properties as Record<string, Record<string, unknown>>).metadata).description;
    assert.deepEqual(parametersOf('TaskCreate').metadata, { type: 'object', description: metadataDescription });
    // Bash: enum-free strings and booleans pass unchanged
    assert.deepEqual(parametersOf('Bash').run_in_background.type, 'boolean');
  });
});

describe('sanitizeGeminiSchema rewrites', () => {
  it('turns nullable unions, type arrays, const and non-string enums into the subset', () => {
    const { schema, removed } = sanitizeGeminiSchema({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        maybeText: { anyOf: [{ type: 'string', description: 'inner' }, { type: 'null' }], description: 'outer' },
        either: { type: ['string', 'null'] },
        several: { type: ['string', 'number'] },
        fixed: { const: 'only' },
        level: { type: 'integer', enum: [1, 2, 3] },
        when: { type: 'string', format: 'date-time' },
        email: { type: 'string', format: 'email' },
        ratio: { type: 'number', exclusiveMaximum: 1 },
        tags: { type: 'array' },
        choice: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
        merged: { allOf: [{ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, { properties: { b: { type: 'number' } } }] },
      },
      required: ['maybeText', 'ghost'],
      additionalProperties: false,
    });
    const properties = schema.properties as Record<string, Record<string, unknown>>;
    assert.deepEqual(properties.maybeText, { type: 'string', description: 'outer', nullable: true });
    assert.deepEqual(properties.either, { type: 'string', nullable: true });
    assert.deepEqual(properties.several, { anyOf: [{ type: 'string' }, { type: 'number' }] });
    assert.deepEqual(properties.fixed, { type: 'string', enum: ['only'] });
    assert.deepEqual(properties.level, { type: 'integer', description: 'Allowed values: 1, 2, 3.' });
    assert.deepEqual(properties.when, { type: 'string', format: 'date-time' });
    assert.deepEqual(properties.email, { type: 'string' });
    assert.deepEqual(properties.ratio, { type: 'number', maximum: 1 });
    assert.deepEqual(properties.tags, { type: 'array', items: {} });
    assert.deepEqual(properties.choice, { anyOf: [{ type: 'string' }, { type: 'integer' }] });
    assert.deepEqual(properties.merged, {
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'number' } },
      required: ['a'],
    });
    assert.deepEqual(schema.required, ['maybeText']);
    for (const path of ['#/$schema', '#/additionalProperties', '#/required', '#/properties/email/format', '#/properties/level/enum']) {
      assert.ok(removed.includes(path), `${path} is reported as removed (got ${removed.join(', ')})`);
    }
  });

  it('inlines local $refs and stops at recursion', () => {
    const { schema } = sanitizeGeminiSchema({
      type: 'object',
      $defs: { node: { type: 'object', properties: { name: { type: 'string' }, child: { $ref: '#/$defs/node' } } } },
      properties: { root: { $ref: '#/$defs/node', description: 'the root' } },
    });
    assert.deepEqual(schema, {
      type: 'object',
      properties: {
        root: {
          type: 'object',
          properties: { name: { type: 'string' }, child: { type: 'object' } },
          description: 'the root',
        },
      },
    });
  });

  it('gives argument-less tools no parameters', () => {
    assert.equal(geminiFunctionParameters({ type: 'object', properties: {}, additionalProperties: false }).parameters, undefined);
    assert.equal(geminiFunctionParameters({ type: 'object' }).parameters, undefined);
    assert.deepEqual(geminiFunctionParameters({ type: 'object', properties: { a: { type: 'string' } } }).parameters, {
      type: 'object',
      properties: { a: { type: 'string' } },
    });
  });
});
