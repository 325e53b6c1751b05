import type { DroppedFieldLog } from '../../core/dropped-fields.js';
import type {
  AssistantPart,
  CacheControl,
  DocumentPart,
  GatewayMessage,
  GatewayRequest,
  ImagePart,
  ReasoningEffort,
  TextPart,
  ToolChoice,
  ToolDefinition,
  ToolResultPart,
  UserPart,
} from '../../core/gateway-request.js';
import {
  expectArray,
  expectObject,
  expectString,
  invalidField,
  isJsonObject,
  joinPath,
  optionalNumber,
  type JsonObject,
} from '../../core/request-validation.js';

/** Output-token limit used when a Converse request gives no `inferenceConfig.maxTokens`, tokens. */
export const DEFAULT_CONVERSE_MAX_TOKENS = 4_096;

const EPHEMERAL: CacheControl = { type: 'ephemeral' };

const TEXT_DOCUMENT_TYPES: Readonly<Record<string, string>> = { txt: 'text/plain', md: 'text/markdown', html: 'text/html', csv: 'text/csv' };
const BINARY_DOCUMENT_TYPES: Readonly<Record<string, string>> = {
  pdf: 'application/pdf',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** Top-level fields Heimdall reads; the others listed in DROPPED are recorded as dropped. */
const DROPPED_TOP_LEVEL_FIELDS = ['guardrailConfig', 'promptVariables', 'requestMetadata', 'performanceConfig', 'additionalModelResponseFieldPaths', 'serviceTier'];
const KNOWN_TOP_LEVEL_FIELDS = new Set(['modelId', 'messages', 'system', 'inferenceConfig', 'toolConfig', 'additionalModelRequestFields', ...DROPPED_TOP_LEVEL_FIELDS]);

function parseImage(value: unknown, path: string, dropped: DroppedFieldLog): ImagePart | undefined {
  const image = expectObject(value, path);
  const format = expectString(image.format, joinPath(path, 'format'));
  const source = expectObject(image.source, joinPath(path, 'source'));
  if (typeof source.bytes === 'string') return { type: 'image', source: { kind: 'base64', mediaType: `image/${format}`, data: source.bytes } };
  if (isJsonObject(source.s3Location) && typeof source.s3Location.uri === 'string') return { type: 'image', source: { kind: 'url', url: source.s3Location.uri } };
  dropped.drop(path, 'image source is neither bytes nor an S3 location');
  return undefined;
}

function parseDocument(value: unknown, path: string, dropped: DroppedFieldLog): DocumentPart | undefined {
  const document = expectObject(value, path);
  const format = typeof document.format === 'string' ? document.format : 'txt';
  const title = typeof document.name === 'string' ? document.name : undefined;
  const source = expectObject(document.source, joinPath(path, 'source'));
  const withTitle = (part: DocumentPart): DocumentPart => (title === undefined ? part : { ...part, title });
  if (typeof source.text === 'string') return withTitle({ type: 'document', source: { kind: 'text', mediaType: TEXT_DOCUMENT_TYPES[format] ?? 'text/plain', text: source.text } });
  if (typeof source.bytes === 'string') {
    const textType = TEXT_DOCUMENT_TYPES[format];
    if (textType !== undefined) {
      return withTitle({ type: 'document', source: { kind: 'text', mediaType: textType, text: Buffer.from(source.bytes, 'base64').toString('utf8') } });
    }
    return withTitle({ type: 'document', source: { kind: 'base64', mediaType: BINARY_DOCUMENT_TYPES[format] ?? 'application/octet-stream', data: source.bytes } });
  }
  if (isJsonObject(source.s3Location) && typeof source.s3Location.uri === 'string') return withTitle({ type: 'document', source: { kind: 'url', url: source.s3Location.uri } });
  dropped.drop(path, 'document source is neither bytes, text nor an S3 location');
  return undefined;
}

function parseToolResult(value: unknown, path: string, dropped: DroppedFieldLog): ToolResultPart {
  const result = expectObject(value, path);
  const content: ToolResultPart['content'] = [];
  const items = result.content === undefined ? [] : expectArray(result.content, joinPath(path, 'content'));
  items.forEach((item, index) => {
    const itemPath = joinPath(joinPath(path, 'content'), index);
    const block = expectObject(item, itemPath);
    if (typeof block.text === 'string') content.push({ type: 'text', text: block.text });
    else if (block.json !== undefined) content.push({ type: 'text', text: JSON.stringify(block.json) });
    else if (block.image !== undefined) {
      const image = parseImage(block.image, joinPath(itemPath, 'image'), dropped);
      if (image !== undefined) content.push(image);
    } else if (block.document !== undefined) {
      const document = parseDocument(block.document, joinPath(itemPath, 'document'), dropped);
      if (document !== undefined) content.push(document);
    } else dropped.drop(itemPath, 'tool result content of this kind is not supported');
  });
  return {
    type: 'tool-result',
    toolCallId: expectString(result.toolUseId, joinPath(path, 'toolUseId')),
    content,
    isError: result.status === 'error',
  };
}

type AnyPart = UserPart | AssistantPart;

/** One content block → an IR part (undefined for cache points, which mark the previous part, and dropped blocks). */
function parseBlock(block: JsonObject, path: string, role: 'user' | 'assistant', dropped: DroppedFieldLog): AnyPart | undefined {
  if (typeof block.text === 'string') return { type: 'text', text: block.text };
  if (block.image !== undefined && role === 'user') return parseImage(block.image, joinPath(path, 'image'), dropped);
  if (block.document !== undefined && role === 'user') return parseDocument(block.document, joinPath(path, 'document'), dropped);
  if (block.toolResult !== undefined && role === 'user') return parseToolResult(block.toolResult, joinPath(path, 'toolResult'), dropped);
  if (block.toolUse !== undefined && role === 'assistant') {
    const toolUse = expectObject(block.toolUse, joinPath(path, 'toolUse'));
    return {
      type: 'tool-call',
      id: expectString(toolUse.toolUseId, joinPath(path, 'toolUse.toolUseId')),
      name: expectString(toolUse.name, joinPath(path, 'toolUse.name')),
      input: toolUse.input ?? {},
    };
  }
  if (block.reasoningContent !== undefined && role === 'assistant') {
    const reasoning = expectObject(block.reasoningContent, joinPath(path, 'reasoningContent'));
    if (isJsonObject(reasoning.reasoningText)) {
      const text = typeof reasoning.reasoningText.text === 'string' ? reasoning.reasoningText.text : '';
      const signature = reasoning.reasoningText.signature;
      return typeof signature === 'string' ? { type: 'reasoning', text, signature } : { type: 'reasoning', text };
    }
    if (typeof reasoning.redactedContent === 'string') return { type: 'redacted-reasoning', data: reasoning.redactedContent };
  }
  dropped.drop(path, `content block ${Object.keys(block).join(', ') || '(empty)'} is not supported in a ${role} turn`);
  return undefined;
}

/** Sets `cacheControl` on the part a `cachePoint` follows, where the part can carry one. */
function markCachePoint(part: AnyPart | TextPart | ToolDefinition | undefined): void {
  if (part === undefined) return;
  if ('type' in part && (part.type === 'reasoning' || part.type === 'redacted-reasoning')) return;
  part.cacheControl = EPHEMERAL;
}

function parseMessages(value: unknown, dropped: DroppedFieldLog): GatewayMessage[] {
  return expectArray(value, 'messages').map((item, index): GatewayMessage => {
    const path = joinPath('messages', index);
    const message = expectObject(item, path);
    const role = message.role;
    if (role !== 'user' && role !== 'assistant') throw invalidField(joinPath(path, 'role'), "Input should be 'user' or 'assistant'");
    const parts: AnyPart[] = [];
    expectArray(message.content, joinPath(path, 'content')).forEach((blockValue, blockIndex) => {
      const blockPath = joinPath(joinPath(path, 'content'), blockIndex);
      const block = expectObject(blockValue, blockPath);
      if (block.cachePoint !== undefined) {
        markCachePoint(parts[parts.length - 1]);
        return;
      }
      const part = parseBlock(block, blockPath, role, dropped);
      if (part !== undefined) parts.push(part);
    });
    return role === 'user' ? { role, content: parts as UserPart[] } : { role, content: parts as AssistantPart[] };
  });
}

function parseSystem(value: unknown): TextPart[] {
  if (value === undefined || value === null) return [];
  const parts: TextPart[] = [];
  expectArray(value, 'system').forEach((item, index) => {
    const block = expectObject(item, joinPath('system', index));
    if (block.cachePoint !== undefined) markCachePoint(parts[parts.length - 1]);
    else if (typeof block.text === 'string') parts.push({ type: 'text', text: block.text });
  });
  return parts;
}

function parseToolConfig(value: unknown, request: GatewayRequest): void {
  if (value === undefined || value === null) return;
  const config = expectObject(value, 'toolConfig');
  expectArray(config.tools ?? [], 'toolConfig.tools').forEach((item, index) => {
    const path = joinPath('toolConfig.tools', index);
    const tool = expectObject(item, path);
    if (tool.cachePoint !== undefined) {
      markCachePoint(request.tools[request.tools.length - 1]);
      return;
    }
    const spec = expectObject(tool.toolSpec, joinPath(path, 'toolSpec'));
    const schema = expectObject(spec.inputSchema, joinPath(path, 'toolSpec.inputSchema'));
    const definition: ToolDefinition = {
      name: expectString(spec.name, joinPath(path, 'toolSpec.name')),
      inputSchema: expectObject(schema.json, joinPath(path, 'toolSpec.inputSchema.json')),
    };
    if (typeof spec.description === 'string') definition.description = spec.description;
    request.tools.push(definition);
  });
  if (config.toolChoice !== undefined && config.toolChoice !== null) {
    const choice = expectObject(config.toolChoice, 'toolConfig.toolChoice');
    let toolChoice: ToolChoice;
    if (choice.auto !== undefined) toolChoice = { type: 'auto' };
    else if (choice.any !== undefined) toolChoice = { type: 'required' };
    else if (choice.tool !== undefined) toolChoice = { type: 'tool', name: expectString(expectObject(choice.tool, 'toolConfig.toolChoice.tool').name, 'toolConfig.toolChoice.tool.name') };
    else throw invalidField('toolConfig.toolChoice', 'expected one of auto, any, tool');
    request.toolChoice = toolChoice;
  }
}

const EFFORTS: ReadonlySet<string> = new Set(['low', 'medium', 'high', 'max']);

function isEffort(value: unknown): value is ReasoningEffort {
  return typeof value === 'string' && EFFORTS.has(value);
}

/** Reads the model-specific fields Heimdall understands; records the rest as dropped. */
function parseAdditionalFields(value: unknown, request: GatewayRequest, dropped: DroppedFieldLog): void {
  if (value === undefined || value === null) return;
  const fields = expectObject(value, 'additionalModelRequestFields');
  for (const [name, field] of Object.entries(fields)) {
    const path = joinPath('additionalModelRequestFields', name);
    if (name === 'thinking' && isJsonObject(field)) {
      if (field.type === 'enabled' && typeof field.budget_tokens === 'number') request.reasoning = { mode: 'enabled', budgetTokens: field.budget_tokens };
      else if (field.type === 'adaptive') request.reasoning = { mode: 'adaptive' };
      else if (field.type === 'disabled') request.reasoning = { mode: 'disabled' };
      else dropped.drop(path, 'unrecognised thinking configuration');
    } else if (name === 'top_k' && typeof field === 'number') {
      request.topK = field;
    } else if (name === 'reasoning_effort' && isEffort(field)) {
      request.effort = field;
    } else if (name === 'output_config' && isJsonObject(field) && isEffort(field.effort)) {
      request.effort = field.effort;
    } else if (name === 'reasoningConfig' && isJsonObject(field)) {
      if (field.type === 'disabled') request.reasoning = { mode: 'disabled' };
      else if (isEffort(field.maxReasoningEffort)) {
        request.reasoning = { mode: 'adaptive' };
        request.effort = field.maxReasoningEffort;
      }
    } else if (name !== 'anthropic_beta') {
      dropped.drop(path, 'model-specific field not translated to other providers');
    }
  }
}

/**
 * Validates a Bedrock Converse request body and converts it into the IR. The model comes from the
 * URL (set by the caller afterwards). Malformed input is a 400 naming the field; Converse features
 * the IR cannot express (guardrails, prompt variables, video, …) are dropped and recorded.
 *
 * - `system` text → system parts; `cachePoint` blocks mark the previous block, tool or system part
 *   with an ephemeral cache control;
 * - `text`, `image`, `document` (text formats decoded to text), `toolUse`, `toolResult` (text,
 *   JSON as text, images, documents; `status: error`), `reasoningContent` → IR parts;
 * - `inferenceConfig` → maxOutputTokens (default {@link DEFAULT_CONVERSE_MAX_TOKENS}), temperature,
 *   topP, stopSequences; `toolConfig` → tools and tool choice (any → required);
 * - `additionalModelRequestFields`: Anthropic `thinking`, `top_k`, `output_config.effort`, Nova
 *   `reasoningConfig`, `reasoning_effort` are understood.
 *
 * @throws GatewayError 400 on a malformed request
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 */
export function parseConverseRequest(body: unknown, dropped: DroppedFieldLog, stream: boolean): GatewayRequest {
  const root = expectObject(body, '');
  for (const key of Object.keys(root)) {
    if (!KNOWN_TOP_LEVEL_FIELDS.has(key)) throw invalidField(key, 'Extra inputs are not permitted');
  }
  const request: GatewayRequest = {
    model: '',
    system: parseSystem(root.system),
    messages: parseMessages(root.messages, dropped),
    tools: [],
    maxOutputTokens: DEFAULT_CONVERSE_MAX_TOKENS,
    stream,
  };
  if (root.inferenceConfig !== undefined && root.inferenceConfig !== null) {
    const config = expectObject(root.inferenceConfig, 'inferenceConfig');
    const maxTokens = optionalNumber(config.maxTokens, 'inferenceConfig.maxTokens');
    if (maxTokens !== undefined) {
      if (!Number.isInteger(maxTokens) || maxTokens < 1) throw invalidField('inferenceConfig.maxTokens', 'Input should be an integer of at least 1');
      request.maxOutputTokens = maxTokens;
    }
    const temperature = optionalNumber(config.temperature, 'inferenceConfig.temperature');
    if (temperature !== undefined) request.temperature = temperature;
    const topP = optionalNumber(config.topP, 'inferenceConfig.topP');
    if (topP !== undefined) request.topP = topP;
    if (config.stopSequences !== undefined && config.stopSequences !== null) {
      request.stopSequences = expectArray(config.stopSequences, 'inferenceConfig.stopSequences').map((item, index) =>
        expectString(item, joinPath('inferenceConfig.stopSequences', index)),
      );
    }
  }
  parseToolConfig(root.toolConfig, request);
  parseAdditionalFields(root.additionalModelRequestFields, request, dropped);
  for (const field of DROPPED_TOP_LEVEL_FIELDS) {
    if (root[field] !== undefined && root[field] !== null) dropped.drop(field, 'Bedrock-only feature; not translated to other providers');
  }
  return request;
}
