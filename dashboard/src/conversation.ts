/**
 * Reads a logged Anthropic Messages request (JSON text) and answer (a message object) into the
 * turns the log detail shows. Total: anything unexpected becomes an `other` block with its JSON,
 * never an exception.
 */

export type ConversationBlock =
  | { kind: 'text'; text: string }
  | { kind: 'thinking'; text: string }
  | { kind: 'redacted_thinking' }
  | { kind: 'tool_use'; id: string; name: string; input: unknown }
  | { kind: 'tool_result'; toolUseId: string; isError: boolean; content: ConversationBlock[] }
  | { kind: 'image'; mediaType: string }
  | { kind: 'document'; title: string }
  | { kind: 'other'; type: string; json: string };

export interface ConversationTurn {
  role: 'system' | 'user' | 'assistant';
  /** True for the answer Heimdall sent (the logged response), false for turns of the request. */
  answer: boolean;
  blocks: ConversationBlock[];
}

export interface Conversation {
  model: string | undefined;
  /** Tool names the request offered. */
  tools: string[];
  turns: ConversationTurn[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** One content block of a message. */
export function readBlock(block: unknown): ConversationBlock {
  if (typeof block === 'string') return { kind: 'text', text: block };
  if (!isRecord(block)) return { kind: 'other', type: typeof block, json: JSON.stringify(block) };
  switch (block.type) {
    case 'text':
      return { kind: 'text', text: text(block.text) };
    case 'thinking':
      return { kind: 'thinking', text: text(block.thinking) };
    case 'redacted_thinking':
      return { kind: 'redacted_thinking' };
    case 'tool_use':
    case 'server_tool_use':
      return { kind: 'tool_use', id: text(block.id), name: text(block.name), input: block.input };
    case 'tool_result':
      return { kind: 'tool_result', toolUseId: text(block.tool_use_id), isError: block.is_error === true, content: readContent(block.content) };
    case 'image':
      return { kind: 'image', mediaType: isRecord(block.source) ? text(block.source.media_type) || text(block.source.type) : '' };
    case 'document':
      return { kind: 'document', title: text(block.title) || (isRecord(block.source) ? text(block.source.media_type) : '') };
    default:
      return { kind: 'other', type: typeof block.type === 'string' ? block.type : 'unknown', json: JSON.stringify(block, null, 2) };
  }
}

/** A message's `content`: a string or a list of blocks. */
export function readContent(content: unknown): ConversationBlock[] {
  if (typeof content === 'string') return [{ kind: 'text', text: content }];
  if (Array.isArray(content)) return content.map(readBlock);
  if (content === undefined || content === null) return [];
  return [readBlock(content)];
}

function role(value: unknown): 'user' | 'assistant' {
  return value === 'assistant' ? 'assistant' : 'user';
}

/**
 * The conversation of a logged request and its answer.
 * @param requestBody the request as received (JSON text), absent when content logging was off
 * @param responseBody the answer as an Anthropic message object, absent likewise
 * @returns undefined when there is no content at all
 */
export function readConversation(requestBody: string | undefined, responseBody: unknown): Conversation | undefined {
  let request: unknown;
  if (requestBody !== undefined) {
    try {
      request = JSON.parse(requestBody);
    } catch {
      request = undefined;
    }
  }
  if (!isRecord(request) && !isRecord(responseBody)) return undefined;
  const turns: ConversationTurn[] = [];
  const tools: string[] = [];
  let model: string | undefined;
  if (isRecord(request)) {
    model = typeof request.model === 'string' ? request.model : undefined;
    if (request.system !== undefined) {
      const blocks = readContent(request.system);
      if (blocks.length > 0) turns.push({ role: 'system', answer: false, blocks });
    }
    if (Array.isArray(request.messages)) {
      for (const message of request.messages) {
        if (isRecord(message)) turns.push({ role: role(message.role), answer: false, blocks: readContent(message.content) });
      }
    }
    if (Array.isArray(request.tools)) {
      for (const tool of request.tools) if (isRecord(tool) && typeof tool.name === 'string') tools.push(tool.name);
    }
  }
  if (isRecord(responseBody)) turns.push({ role: 'assistant', answer: true, blocks: readContent(responseBody.content) });
  return { model, tools, turns };
}

/** JSON text pretty-printed (the text itself when it is not JSON). */
export function prettyJson(value: unknown): string {
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2);
}
