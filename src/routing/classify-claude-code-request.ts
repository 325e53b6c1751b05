/**
 * Tells what a Claude Code request is for, from its body and headers, so that routing rules can
 * send each kind of traffic somewhere else (`request_kind == "background"` → a cheap model).
 *
 * How each kind is recognised (Claude Code 2.1.x, checked in this order):
 *
 * | kind | recognised by |
 * | --- | --- |
 * | `compaction` | the conversation-summary prompt: a system block saying the assistant is "tasked with summarizing conversations", or a last user message asking to "create a detailed summary of the conversation so far" (`/compact` and auto-compaction) |
 * | `title` | session-title generation: no tools and `output_config.format` a JSON schema with a `title` property, or the "sentence-case title" system prompt |
 * | `background` | the small-fast-model calls (bash prefix extraction, summaries, away recaps, …): no tools at all (every agent turn carries tools) |
 * | `subagent` | a turn of an agent started by the `Agent` tool: the `x-claude-code-agent-id` header (Claude Code sets it for every non-main agent), or `cc_is_subagent=true` in the billing system block |
 * | `main` | any other Claude Code request: a turn of the main agent |
 * | `other` | not Claude Code (no `claude-cli` user agent, `x-app: cli` header, `claude-code-*` beta or billing system block) |
 *
 * @see ../../docs/architecture.md#request-kinds
 * @see https://code.claude.com/docs/en/sub-agents
 */

/** The kinds of request a routing rule can tell apart (`request_kind`). */
export const REQUEST_KINDS = ['main', 'subagent', 'background', 'title', 'compaction', 'other'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

/** Request headers as Node gives them (lower-case names). */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** Set by Claude Code on requests of every agent but the main one. */
const AGENT_ID_HEADER = 'x-claude-code-agent-id';
/** Claude Code's first system block: `x-anthropic-billing-header: cc_version=…; cc_entrypoint=…;`. */
const BILLING_BLOCK_PREFIX = 'x-anthropic-billing-header:';
const SUBAGENT_BILLING_MARK = 'cc_is_subagent=true';
/** The system prompt of compaction when it does not share the main prompt. */
const COMPACTION_SYSTEM_MARK = 'tasked with summarizing conversations';
/** The compaction instruction, appended as the last user message. */
const COMPACTION_PROMPT_MARK = 'create a detailed summary of the conversation so far';
/** The title-generation system prompt. */
const TITLE_SYSTEM_MARK = 'sentence-case title';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function headerValue(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** The text blocks of a `system` field (a string or a list of blocks). */
function systemTexts(system: unknown): string[] {
  if (typeof system === 'string') return [system];
  if (!Array.isArray(system)) return [];
  const texts: string[] = [];
  for (const block of system) if (isRecord(block) && typeof block.text === 'string') texts.push(block.text);
  return texts;
}

/** The text of the last message when it is a user message. */
function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages) || messages.length === 0) return '';
  const last: unknown = messages[messages.length - 1];
  if (!isRecord(last) || last.role !== 'user') return '';
  if (typeof last.content === 'string') return last.content;
  if (!Array.isArray(last.content)) return '';
  let text = '';
  for (const block of last.content) if (isRecord(block) && block.type === 'text' && typeof block.text === 'string') text += block.text;
  return text;
}

function hasTools(body: Readonly<Record<string, unknown>>): boolean {
  return Array.isArray(body.tools) && body.tools.length > 0;
}

/** Whether `output_config.format` (or the older `output_format`) asks for a JSON object with a `title`. */
function asksForTitleJson(body: Readonly<Record<string, unknown>>): boolean {
  const format = isRecord(body.output_config) ? body.output_config.format : body.output_format;
  if (!isRecord(format) || format.type !== 'json_schema' || !isRecord(format.schema)) return false;
  const properties = format.schema.properties;
  return isRecord(properties) && 'title' in properties;
}

/** Whether the request comes from Claude Code (the CLI or the Agent SDK, which runs the CLI). */
export function isClaudeCodeRequest(body: Readonly<Record<string, unknown>>, headers: RequestHeaders): boolean {
  const userAgent = headerValue(headers, 'user-agent') ?? '';
  if (userAgent.startsWith('claude-cli/') || userAgent.startsWith('claude-code/')) return true;
  const app = headerValue(headers, 'x-app');
  if (app === 'cli' || app === 'cli-bg') return true;
  if ((headerValue(headers, 'anthropic-beta') ?? '').includes('claude-code-')) return true;
  const first = systemTexts(body.system)[0];
  return first !== undefined && first.startsWith(BILLING_BLOCK_PREFIX);
}

/**
 * What a Claude Code request is for (see the table above). Pure; reads only `system`, `tools`,
 * `output_config`, the last message and the headers.
 *
 * @param body the parsed Anthropic Messages body
 * @param headers the request headers (lower-case names, as Node gives them)
 */
export function classifyClaudeCodeRequest(body: Readonly<Record<string, unknown>>, headers: RequestHeaders): RequestKind {
  if (!isClaudeCodeRequest(body, headers)) return 'other';
  const system = systemTexts(body.system);
  if (system.some((text) => text.includes(COMPACTION_SYSTEM_MARK)) || lastUserText(body.messages).includes(COMPACTION_PROMPT_MARK)) {
    return 'compaction';
  }
  const tools = hasTools(body);
  if (!tools && (asksForTitleJson(body) || system.some((text) => text.includes(TITLE_SYSTEM_MARK)))) return 'title';
  if (!tools) return 'background';
  const agentId = headerValue(headers, AGENT_ID_HEADER);
  if ((agentId !== undefined && agentId !== '') || (system[0] !== undefined && system[0].startsWith(BILLING_BLOCK_PREFIX) && system[0].includes(SUBAGENT_BILLING_MARK))) {
    return 'subagent';
  }
  return 'main';
}
