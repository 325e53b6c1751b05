import type { DroppedFieldLog } from '../../core/dropped-fields.js';
import type {
  AssistantPart,
  CacheControl,
  DocumentPart,
  GatewayMessage,
  GatewayRequest,
  ImagePart,
  MediaSource,
  ReasoningConfig,
  ReasoningEffort,
  TextPart,
  ToolCallPart,
  ToolChoice,
  ToolDefinition,
  ToolResultPart,
  UserPart,
} from '../../core/gateway-request.js';
import {
  expectArray,
  expectInteger,
  expectObject,
  expectString,
  invalidField,
  isJsonObject,
  joinPath,
  optionalBoolean,
  optionalNumber,
  optionalString,
  rejectUnknownKeys,
  type JsonObject,
} from '../../core/request-validation.js';

/**
 * Validates an Anthropic Messages request body and converts it into the IR.
 *
 * Validation follows Anthropic's API: unknown top-level fields and malformed values are a 400
 * `invalid_request_error` naming the field (`messages.0.content.1.text: Field required`).
 * Anthropic features the IR cannot express (server tools, `context_management`, `container`,
 * server-tool result blocks in history, …) are dropped and recorded in `dropped`.
 *
 * @param body the parsed JSON body
 * @param dropped collects the fields dropped on purpose
 * @param options.cloudBody accept the Bedrock/Vertex body fields `anthropic_version` and
 *   `anthropic_beta` (and no `model`)
 * @param options.countTokens a `count_tokens` body: `max_tokens` is not required
 * @returns the IR request; `model` is the name exactly as the caller wrote it
 * @throws GatewayError (`invalid_request_error`, 400) on a malformed request
 * @see https://docs.anthropic.com/en/api/messages
 */
export function parseAnthropicRequest(
  body: unknown,
  dropped: DroppedFieldLog,
  options: { cloudBody?: boolean; countTokens?: boolean } = {},
): GatewayRequest {
  const root = expectObject(body, '');
  rejectUnknownKeys(root, options.cloudBody === true ? CLOUD_TOP_LEVEL_FIELDS : TOP_LEVEL_FIELDS, '');

  const model = options.cloudBody === true && root.model === undefined ? '' : expectString(root.model, 'model');
  if (options.cloudBody !== true && model === '') throw invalidField('model', 'String should have at least 1 character');
  const maxOutputTokens =
    options.countTokens === true && root.max_tokens === undefined ? 1 : expectInteger(root.max_tokens, 'max_tokens', 1);
  const messagesValue = expectArray(root.messages, 'messages');
  const messages = messagesValue.map((message, index) => parseMessage(message, joinPath('messages', index), dropped));

  const request: GatewayRequest = {
    model,
    system: parseSystem(root.system, dropped),
    messages,
    tools: parseTools(root.tools, dropped),
    maxOutputTokens,
    stream: optionalBoolean(root.stream, 'stream') ?? false,
  };

  const temperature = optionalNumber(root.temperature, 'temperature');
  if (temperature !== undefined) {
    if (temperature < 0 || temperature > 1) throw invalidField('temperature', 'Input should be between 0 and 1');
    request.temperature = temperature;
  }
  const topP = optionalNumber(root.top_p, 'top_p');
  if (topP !== undefined) request.topP = topP;
  if (root.top_k !== undefined && root.top_k !== null) request.topK = expectInteger(root.top_k, 'top_k', 0);

  if (root.stop_sequences !== undefined && root.stop_sequences !== null) {
    request.stopSequences = expectArray(root.stop_sequences, 'stop_sequences').map((sequence, index) =>
      expectString(sequence, joinPath('stop_sequences', index)),
    );
  }

  if (root.metadata !== undefined && root.metadata !== null) {
    const metadata = expectObject(root.metadata, 'metadata');
    rejectUnknownKeys(metadata, METADATA_FIELDS, 'metadata');
    const userId = optionalString(metadata.user_id, 'metadata.user_id');
    if (userId !== undefined) request.user = userId;
  }

  if (root.tool_choice !== undefined && root.tool_choice !== null) {
    const { choice, parallelToolCalls } = parseToolChoice(root.tool_choice);
    request.toolChoice = choice;
    if (parallelToolCalls === false) request.parallelToolCalls = false;
  }

  if (root.thinking !== undefined && root.thinking !== null) request.reasoning = parseThinking(root.thinking);

  if (root.output_config !== undefined && root.output_config !== null) {
    const outputConfig = expectObject(root.output_config, 'output_config');
    rejectUnknownKeys(outputConfig, OUTPUT_CONFIG_FIELDS, 'output_config');
    if (outputConfig.effort !== undefined && outputConfig.effort !== null) {
      request.effort = parseEffort(outputConfig.effort, 'output_config.effort');
    }
    if (outputConfig.format !== undefined && outputConfig.format !== null) {
      request.responseFormat = parseOutputFormat(outputConfig.format, 'output_config.format');
    }
  }
  if (root.output_format !== undefined && root.output_format !== null) {
    request.responseFormat = parseOutputFormat(root.output_format, 'output_format');
  }

  for (const field of DROPPED_TOP_LEVEL_FIELDS) {
    if (root[field] !== undefined && root[field] !== null) dropped.drop(field, 'Anthropic-only feature; the target provider has no equivalent');
  }
  return request;
}

const TOP_LEVEL_FIELDS: ReadonlySet<string> = new Set([
  'model',
  'messages',
  'max_tokens',
  'system',
  'metadata',
  'stop_sequences',
  'stream',
  'temperature',
  'top_k',
  'top_p',
  'tools',
  'tool_choice',
  'thinking',
  'output_config',
  'output_format',
  'context_management',
  'service_tier',
  'container',
  'mcp_servers',
  'inference_geo',
]);

const CLOUD_TOP_LEVEL_FIELDS: ReadonlySet<string> = new Set([...TOP_LEVEL_FIELDS, 'anthropic_version', 'anthropic_beta']);

const DROPPED_TOP_LEVEL_FIELDS = ['context_management', 'service_tier', 'container', 'mcp_servers', 'inference_geo'] as const;

const METADATA_FIELDS: ReadonlySet<string> = new Set(['user_id']);
const OUTPUT_CONFIG_FIELDS: ReadonlySet<string> = new Set(['effort', 'format']);

function parseCacheControl(value: unknown, path: string): CacheControl | undefined {
  if (value === undefined || value === null) return undefined;
  const object = expectObject(value, path);
  if (object.type !== 'ephemeral') throw invalidField(joinPath(path, 'type'), "Input should be 'ephemeral'");
  const ttl = optionalString(object.ttl, joinPath(path, 'ttl'));
  return ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl };
}

function withCacheControl<T extends { cacheControl?: CacheControl }>(part: T, block: JsonObject, path: string): T {
  const cacheControl = parseCacheControl(block.cache_control, joinPath(path, 'cache_control'));
  if (cacheControl !== undefined) part.cacheControl = cacheControl;
  return part;
}

function parseTextBlock(block: JsonObject, path: string): TextPart {
  const text = expectString(block.text, joinPath(path, 'text'));
  return withCacheControl<TextPart>({ type: 'text', text }, block, path);
}

function parseSystem(value: unknown, dropped: DroppedFieldLog): TextPart[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value === '' ? [] : [{ type: 'text', text: value }];
  return expectArray(value, 'system').flatMap((block, index) => {
    const path = joinPath('system', index);
    const object = expectObject(block, path);
    if (object.type !== 'text') {
      dropped.drop(path, `system block of type ${String(object.type)} is not supported`);
      return [];
    }
    return [parseTextBlock(object, path)];
  });
}

function parseMediaSource(value: unknown, path: string, allowedKinds: ReadonlySet<string>): MediaSource {
  const source = expectObject(value, path);
  const kind = expectString(source.type, joinPath(path, 'type'));
  if (!allowedKinds.has(kind)) throw invalidField(joinPath(path, 'type'), `Input should be ${[...allowedKinds].map((name) => `'${name}'`).join(' or ')}`);
  if (kind === 'url') return { kind: 'url', url: expectString(source.url, joinPath(path, 'url')) };
  return {
    kind: 'base64',
    mediaType: expectString(source.media_type, joinPath(path, 'media_type')),
    data: expectString(source.data, joinPath(path, 'data')),
  };
}

const IMAGE_SOURCE_KINDS: ReadonlySet<string> = new Set(['base64', 'url']);
const DOCUMENT_SOURCE_KINDS: ReadonlySet<string> = new Set(['base64', 'url', 'text']);

function parseImageBlock(block: JsonObject, path: string): ImagePart {
  const source = parseMediaSource(block.source, joinPath(path, 'source'), IMAGE_SOURCE_KINDS);
  return withCacheControl<ImagePart>({ type: 'image', source }, block, path);
}

function parseDocumentBlock(block: JsonObject, path: string): DocumentPart {
  const sourcePath = joinPath(path, 'source');
  const sourceObject = expectObject(block.source, sourcePath);
  let source: DocumentPart['source'];
  if (sourceObject.type === 'text') {
    source = {
      kind: 'text',
      mediaType: optionalString(sourceObject.media_type, joinPath(sourcePath, 'media_type')) ?? 'text/plain',
      text: expectString(sourceObject.data, joinPath(sourcePath, 'data')),
    };
  } else {
    source = parseMediaSource(sourceObject, sourcePath, DOCUMENT_SOURCE_KINDS);
  }
  const document: DocumentPart = { type: 'document', source };
  const title = optionalString(block.title, joinPath(path, 'title'));
  if (title !== undefined) document.title = title;
  return withCacheControl(document, block, path);
}

function parseToolResultBlock(block: JsonObject, path: string, dropped: DroppedFieldLog): ToolResultPart {
  const toolCallId = expectString(block.tool_use_id, joinPath(path, 'tool_use_id'));
  const isError = optionalBoolean(block.is_error, joinPath(path, 'is_error')) ?? false;
  const contentPath = joinPath(path, 'content');
  const content: ToolResultPart['content'] = [];
  if (typeof block.content === 'string') {
    content.push({ type: 'text', text: block.content });
  } else if (block.content !== undefined && block.content !== null) {
    expectArray(block.content, contentPath).forEach((item, index) => {
      const itemPath = joinPath(contentPath, index);
      const itemObject = expectObject(item, itemPath);
      const type = expectString(itemObject.type, joinPath(itemPath, 'type'));
      if (type === 'text') content.push(parseTextBlock(itemObject, itemPath));
      else if (type === 'image') content.push(parseImageBlock(itemObject, itemPath));
      else if (type === 'document') content.push(parseDocumentBlock(itemObject, itemPath));
      else dropped.drop(itemPath, `tool_result content of type ${type} is not supported by translation`);
    });
  }
  return withCacheControl<ToolResultPart>({ type: 'tool-result', toolCallId, content, isError }, block, path);
}

/** Block types that only Anthropic's own servers understand; dropped from translated history. */
const SERVER_SIDE_BLOCK_TYPES: ReadonlySet<string> = new Set([
  'server_tool_use',
  'web_search_tool_result',
  'web_fetch_tool_result',
  'code_execution_tool_result',
  'bash_code_execution_tool_result',
  'text_editor_code_execution_tool_result',
  'tool_search_tool_result',
  'mcp_tool_use',
  'mcp_tool_result',
  'container_upload',
  'search_result',
  'compaction',
]);

function parseUserContent(content: unknown, path: string, dropped: DroppedFieldLog): UserPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  const parts: UserPart[] = [];
  expectArray(content, path).forEach((block, index) => {
    const blockPath = joinPath(path, index);
    const object = expectObject(block, blockPath);
    const type = expectString(object.type, joinPath(blockPath, 'type'));
    switch (type) {
      case 'text':
        parts.push(parseTextBlock(object, blockPath));
        break;
      case 'image':
        parts.push(parseImageBlock(object, blockPath));
        break;
      case 'document':
        parts.push(parseDocumentBlock(object, blockPath));
        break;
      case 'tool_result':
        parts.push(parseToolResultBlock(object, blockPath, dropped));
        break;
      default:
        if (SERVER_SIDE_BLOCK_TYPES.has(type)) dropped.drop(blockPath, `${type} blocks are Anthropic server-side content`);
        else throw invalidField(joinPath(blockPath, 'type'), `Input tag '${type}' is not a valid content block type for a user message`);
    }
  });
  return parts;
}

function parseAssistantContent(content: unknown, path: string, dropped: DroppedFieldLog): AssistantPart[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  const parts: AssistantPart[] = [];
  expectArray(content, path).forEach((block, index) => {
    const blockPath = joinPath(path, index);
    const object = expectObject(block, blockPath);
    const type = expectString(object.type, joinPath(blockPath, 'type'));
    switch (type) {
      case 'text':
        parts.push(parseTextBlock(object, blockPath));
        break;
      case 'tool_use': {
        const input = object.input;
        if (!isJsonObject(input)) throw invalidField(joinPath(blockPath, 'input'), 'Input should be a valid dictionary');
        parts.push(
          withCacheControl<ToolCallPart>(
            {
              type: 'tool-call',
              id: expectString(object.id, joinPath(blockPath, 'id')),
              name: expectString(object.name, joinPath(blockPath, 'name')),
              input,
            },
            object,
            blockPath,
          ),
        );
        break;
      }
      case 'thinking': {
        const reasoning: AssistantPart = { type: 'reasoning', text: expectString(object.thinking, joinPath(blockPath, 'thinking')) };
        const signature = optionalString(object.signature, joinPath(blockPath, 'signature'));
        if (signature !== undefined && signature !== '') reasoning.signature = signature;
        parts.push(reasoning);
        break;
      }
      case 'redacted_thinking':
        parts.push({ type: 'redacted-reasoning', data: expectString(object.data, joinPath(blockPath, 'data')) });
        break;
      default:
        if (SERVER_SIDE_BLOCK_TYPES.has(type)) dropped.drop(blockPath, `${type} blocks are Anthropic server-side content`);
        else throw invalidField(joinPath(blockPath, 'type'), `Input tag '${type}' is not a valid content block type for an assistant message`);
    }
  });
  return parts;
}

const MESSAGE_FIELDS: ReadonlySet<string> = new Set(['role', 'content']);

function parseMessage(value: unknown, path: string, dropped: DroppedFieldLog): GatewayMessage {
  const message = expectObject(value, path);
  rejectUnknownKeys(message, MESSAGE_FIELDS, path);
  const role = expectString(message.role, joinPath(path, 'role'));
  const contentPath = joinPath(path, 'content');
  if (message.content === undefined) throw invalidField(contentPath, 'Field required');
  switch (role) {
    case 'user':
      return { role: 'user', content: parseUserContent(message.content, contentPath, dropped) };
    case 'assistant':
      return { role: 'assistant', content: parseAssistantContent(message.content, contentPath, dropped) };
    case 'system': {
      // Mid-conversation system message (Claude Code's `mid-conversation-system` beta).
      const parts = parseUserContent(message.content, contentPath, dropped);
      const text: TextPart[] = [];
      for (const part of parts) {
        if (part.type === 'text') text.push(part);
        else dropped.drop(contentPath, `${part.type} content is not allowed in a system message`);
      }
      return { role: 'system', content: text };
    }
    default:
      throw invalidField(joinPath(path, 'role'), "Input should be 'user', 'assistant' or 'system'");
  }
}

const CUSTOM_TOOL_FIELDS: ReadonlySet<string> = new Set([
  'type',
  'name',
  'description',
  'input_schema',
  'cache_control',
  'strict',
  'defer_loading',
  'input_examples',
  'allowed_callers',
  'eager_input_streaming',
]);

function parseTools(value: unknown, dropped: DroppedFieldLog): ToolDefinition[] {
  if (value === undefined || value === null) return [];
  const tools: ToolDefinition[] = [];
  expectArray(value, 'tools').forEach((item, index) => {
    const path = joinPath('tools', index);
    const tool = expectObject(item, path);
    const type = optionalString(tool.type, joinPath(path, 'type'));
    if (type !== undefined && type !== 'custom') {
      // Server tools (web_search_20250305, bash_20250124, tool_search_tool_regex_…) run on Anthropic.
      dropped.drop(path, `server tool ${type} runs only on Anthropic`);
      return;
    }
    rejectUnknownKeys(tool, CUSTOM_TOOL_FIELDS, path);
    const name = expectString(tool.name, joinPath(path, 'name'));
    const inputSchema = expectObject(tool.input_schema, joinPath(path, 'input_schema'));
    const definition: ToolDefinition = { name, inputSchema };
    const description = optionalString(tool.description, joinPath(path, 'description'));
    if (description !== undefined) definition.description = description;
    tools.push(withCacheControl(definition, tool, path));
  });
  return tools;
}

function parseToolChoice(value: unknown): { choice: ToolChoice; parallelToolCalls?: boolean } {
  const object = expectObject(value, 'tool_choice');
  const type = expectString(object.type, 'tool_choice.type');
  const disableParallel = optionalBoolean(object.disable_parallel_tool_use, 'tool_choice.disable_parallel_tool_use');
  const parallelToolCalls = disableParallel === undefined ? undefined : !disableParallel;
  switch (type) {
    case 'auto':
      return { choice: { type: 'auto' }, parallelToolCalls };
    case 'any':
      return { choice: { type: 'required' }, parallelToolCalls };
    case 'none':
      return { choice: { type: 'none' } };
    case 'tool':
      return { choice: { type: 'tool', name: expectString(object.name, 'tool_choice.name') }, parallelToolCalls };
    default:
      throw invalidField('tool_choice.type', "Input should be 'auto', 'any', 'tool' or 'none'");
  }
}

function parseThinking(value: unknown): ReasoningConfig {
  const object = expectObject(value, 'thinking');
  const type = expectString(object.type, 'thinking.type');
  switch (type) {
    case 'enabled':
      return { mode: 'enabled', budgetTokens: expectInteger(object.budget_tokens, 'thinking.budget_tokens', 1) };
    case 'adaptive':
      return { mode: 'adaptive' };
    case 'disabled':
      return { mode: 'disabled' };
    default:
      throw invalidField('thinking.type', "Input should be 'enabled', 'adaptive' or 'disabled'");
  }
}

const EFFORT_LEVELS: ReadonlySet<string> = new Set(['low', 'medium', 'high', 'max']);

function parseEffort(value: unknown, path: string): ReasoningEffort {
  const effort = expectString(value, path);
  if (!EFFORT_LEVELS.has(effort)) throw invalidField(path, "Input should be 'low', 'medium', 'high' or 'max'");
  return effort as ReasoningEffort;
}

function parseOutputFormat(value: unknown, path: string): GatewayRequest['responseFormat'] {
  const object = expectObject(value, path);
  if (object.type !== 'json_schema') throw invalidField(joinPath(path, 'type'), "Input should be 'json_schema'");
  return { type: 'json-schema', schema: expectObject(object.schema, joinPath(path, 'schema')) };
}
