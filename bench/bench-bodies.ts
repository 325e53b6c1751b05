import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Request bodies for the bench: a small Anthropic Messages request, and a realistic Claude Code
 * request (~85 KB) — the captured one from `../shared/fixtures/claude-code/messages-first-turn.json`
 * when present, otherwise a synthetic body of the same size and shape.
 */

/** A request body, with a note on where it came from (printed with the results). */
export interface BenchBody {
  name: 'small' | 'claude-code';
  /** The body as an object; `model` is set per scenario. */
  json: Record<string, unknown>;
  description: string;
}

/** Where the captured Claude Code request lives, relative to the repository root. */
export const CLAUDE_CODE_FIXTURE = '../shared/fixtures/claude-code/messages-first-turn.json';

/** A small streaming request with one tool. */
export function smallBody(): BenchBody {
  return {
    name: 'small',
    description: 'a short user message, one tool, stream: true',
    json: {
      max_tokens: 1024,
      stream: true,
      system: 'You are a coding assistant.',
      messages: [{ role: 'user', content: 'Read src/index.ts and tell me what it exports.' }],
      tools: [
        {
          name: 'Read',
          description: 'Reads a file from the local filesystem.',
          input_schema: {
            type: 'object',
            properties: {
              file_path: { type: 'string', description: 'The absolute path to the file to read' },
              limit: { type: 'integer', description: 'The number of lines to read' },
            },
            required: ['file_path'],
            additionalProperties: false,
          },
        },
      ],
    },
  };
}

/**
 * The captured Claude Code request (it is in Bedrock body form: `anthropic_version` and
 * `anthropic_beta` are removed, `stream: true` added), or a synthetic stand-in when
 * `../shared` is absent.
 */
export function claudeCodeBody(repositoryRoot: string): BenchBody {
  const path = resolve(repositoryRoot, CLAUDE_CODE_FIXTURE);
  if (existsSync(path)) {
    const raw = readFileSync(path, 'utf8');
    const json = JSON.parse(raw) as Record<string, unknown>;
    delete json.anthropic_version;
    delete json.anthropic_beta;
    json.stream = true;
    const tools = Array.isArray(json.tools) ? json.tools.length : 0;
    return {
      name: 'claude-code',
      json,
      description: `captured Claude Code first turn (${CLAUDE_CODE_FIXTURE}, ${raw.length.toLocaleString('en-US')} B as stored, ${tools} tools)`,
    };
  }
  const json = syntheticClaudeCodeBody();
  const tools = (json.tools as unknown[]).length;
  return {
    name: 'claude-code',
    json,
    description: `SYNTHETIC stand-in for a Claude Code request (${CLAUDE_CODE_FIXTURE} is absent): system blocks, ${tools} tools with JSON schemas, long user text`,
  };
}

/** Deterministic filler text (a fixed word list cycled by a small linear congruential generator). */
function fillerText(length: number, seed: number): string {
  const words = ['the', 'file', 'tool', 'should', 'never', 'always', 'read', 'write', 'before', 'after', 'command', 'path', 'user', 'project', 'test', 'output', 'result', 'when', 'with', 'code'];
  let state = seed;
  let text = '';
  while (text.length < length) {
    state = (state * 1103515245 + 12345) % 2147483648;
    text += `${words[state % words.length]}${state % 13 === 0 ? '.\n' : ' '}`;
  }
  return text.slice(0, length);
}

/** About 85 KB in the shape of a Claude Code request: 2 system blocks, 25 tools, long user text. */
export function syntheticClaudeCodeBody(): Record<string, unknown> {
  const tools = Array.from({ length: 25 }, (_, index) => ({
    name: `Tool${index + 1}`,
    description: fillerText(1800, index + 1),
    input_schema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        path: { type: 'string', description: fillerText(120, index + 101) },
        pattern: { type: 'string', description: fillerText(120, index + 201) },
        limit: { type: 'integer', minimum: 1, description: 'Largest number of results' },
        mode: { type: 'string', enum: ['fast', 'thorough', 'exhaustive'] },
        options: { type: 'object', properties: { recursive: { type: 'boolean' }, ignore: { type: 'array', items: { type: 'string' } } }, additionalProperties: false },
      },
      required: ['path'],
      additionalProperties: false,
    },
  }));
  const body: Record<string, unknown> = {
    max_tokens: 32000,
    stream: true,
    system: [
      { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude." },
      { type: 'text', text: fillerText(20_000, 7), cache_control: { type: 'ephemeral' } },
    ],
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: `<system-reminder>\n${fillerText(4000, 11)}\n</system-reminder>` },
          { type: 'text', text: '' },
        ],
      },
    ],
    tools,
    metadata: { user_id: 'user_bench_0000000000000000000000000000000000000000000000000000000000000000' },
    thinking: { type: 'enabled', budget_tokens: 31999 },
  };
  const target = 85_000;
  const size = Buffer.byteLength(JSON.stringify(body));
  const messages = body.messages as Array<{ content: Array<{ text: string }> }>;
  messages[0].content[1].text = fillerText(Math.max(1000, target - size), 13);
  return body;
}

/** The serialised request body for a model. */
export function serialiseBody(body: BenchBody, model: string): Buffer {
  return Buffer.from(JSON.stringify({ model, ...body.json }));
}
