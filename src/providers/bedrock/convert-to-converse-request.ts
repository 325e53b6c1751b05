import type { DroppedFieldLog } from '../../core/dropped-fields.js';
import type {
  AssistantPart,
  CacheControl,
  DocumentPart,
  GatewayRequest,
  ImagePart,
  ReasoningEffort,
  TextPart,
  ToolResultPart,
  UserPart,
} from '../../core/gateway-request.js';
import type {
  ConverseContentBlock,
  ConverseDocumentBlock,
  ConverseDocumentFormat,
  ConverseImageBlock,
  ConverseImageFormat,
  ConverseMessage,
  ConverseRequestBody,
  ConverseSystemBlock,
  ConverseTool,
  ConverseToolChoice,
  ConverseToolResultContent,
} from './converse-api-types.js';
import type { ConverseModelFeatures } from './converse-model-features.js';

/** Limits that come from the configured instance. */
export interface ConvertConverseOptions {
  /** The instance's output-token cap, tokens. */
  maxOutputTokens?: number;
}

const IMAGE_FORMATS: Readonly<Record<string, ConverseImageFormat>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

const DOCUMENT_FORMATS: Readonly<Record<string, ConverseDocumentFormat>> = {
  'application/pdf': 'pdf',
  'text/plain': 'txt',
  'text/markdown': 'md',
  'text/html': 'html',
  'text/csv': 'csv',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
};

/** Effort levels Bedrock's effort-style reasoning controls take (IR `max` → `high`). */
const EFFORT_LEVELS: Readonly<Record<ReasoningEffort, 'low' | 'medium' | 'high'>> = { low: 'low', medium: 'medium', high: 'high', max: 'high' };

/** The effort level for a thinking budget, tokens: under 4k low, under 16k medium, else high. */
export function effortForBudget(budgetTokens: number): 'low' | 'medium' | 'high' {
  if (budgetTokens < 4_096) return 'low';
  if (budgetTokens < 16_384) return 'medium';
  return 'high';
}

/**
 * A Converse document name: letters, digits, single spaces, hyphens, parentheses and square
 * brackets only (Bedrock refuses others), made unique with the document's position.
 */
export function converseDocumentName(title: string | undefined, position: number): string {
  const cleaned = (title ?? '')
    .replace(/[^A-Za-z0-9\s\-()[\]]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 150);
  return cleaned === '' ? `document-${position}` : `${cleaned} ${position}`;
}

/** Per-request conversion state: the drop log, features and a document counter. */
interface ConversionContext {
  dropped: DroppedFieldLog;
  features: ConverseModelFeatures;
  documents: number;
}

function cachePointAfter(cacheControl: CacheControl | undefined, context: ConversionContext): ConverseContentBlock[] {
  return cacheControl !== undefined && context.features.cachePoints ? [{ cachePoint: { type: 'default' } }] : [];
}

function convertImage(part: ImagePart, path: string, context: ConversionContext): ConverseImageBlock | undefined {
  const source = part.source;
  if (source.kind === 'url') {
    if (source.url.startsWith('s3://')) return { format: imageFormatFromName(source.url), source: { s3Location: { uri: source.url } } };
    context.dropped.drop(path, 'image URLs are not accepted by Bedrock Converse (only inline bytes or s3:// locations)');
    return undefined;
  }
  const format = IMAGE_FORMATS[source.mediaType.toLowerCase()];
  if (format === undefined) {
    context.dropped.drop(path, `image type ${source.mediaType} is not accepted by Bedrock Converse`);
    return undefined;
  }
  return { format, source: { bytes: source.data } };
}

function imageFormatFromName(name: string): ConverseImageFormat {
  const extension = name.slice(name.lastIndexOf('.') + 1).toLowerCase();
  return extension === 'jpg' ? 'jpeg' : extension === 'gif' || extension === 'webp' || extension === 'jpeg' ? extension : 'png';
}

function convertDocument(part: DocumentPart, path: string, context: ConversionContext): ConverseDocumentBlock | undefined {
  context.documents += 1;
  const name = converseDocumentName(part.title, context.documents);
  const source = part.source;
  if (source.kind === 'text') {
    return { format: DOCUMENT_FORMATS[source.mediaType.toLowerCase()] ?? 'txt', name, source: { bytes: Buffer.from(source.text, 'utf8').toString('base64') } };
  }
  if (source.kind === 'url') {
    if (source.url.startsWith('s3://')) return { format: 'pdf', name, source: { s3Location: { uri: source.url } } };
    context.dropped.drop(path, 'document URLs are not accepted by Bedrock Converse (only inline bytes or s3:// locations)');
    return undefined;
  }
  const format = DOCUMENT_FORMATS[source.mediaType.toLowerCase()];
  if (format === undefined) {
    context.dropped.drop(path, `document type ${source.mediaType} is not accepted by Bedrock Converse`);
    return undefined;
  }
  return { format, name, source: { bytes: source.data } };
}

function convertToolResult(part: ToolResultPart, path: string, context: ConversionContext): ConverseContentBlock {
  const content: ConverseToolResultContent[] = [];
  part.content.forEach((item, index) => {
    const itemPath = `${path}.content[${index}]`;
    if (item.type === 'text') {
      content.push({ text: item.text });
    } else if (item.type === 'image') {
      const image = convertImage(item, itemPath, context);
      if (image !== undefined) content.push({ image });
    } else {
      const document = convertDocument(item, itemPath, context);
      if (document !== undefined) content.push({ document });
    }
  });
  return { toolResult: { toolUseId: part.toolCallId, content, status: part.isError ? 'error' : 'success' } };
}

function convertUserPart(part: UserPart, path: string, context: ConversionContext): ConverseContentBlock[] {
  switch (part.type) {
    case 'text':
      return part.text === '' ? [] : [{ text: part.text }, ...cachePointAfter(part.cacheControl, context)];
    case 'image': {
      const image = convertImage(part, path, context);
      return image === undefined ? [] : [{ image }, ...cachePointAfter(part.cacheControl, context)];
    }
    case 'document': {
      const document = convertDocument(part, path, context);
      return document === undefined ? [] : [{ document }, ...cachePointAfter(part.cacheControl, context)];
    }
    case 'tool-result':
      return [convertToolResult(part, path, context), ...cachePointAfter(part.cacheControl, context)];
    default: {
      const unreachable: never = part;
      throw new Error(`unknown user part ${JSON.stringify(unreachable)}`);
    }
  }
}

function convertAssistantPart(part: AssistantPart, path: string, context: ConversionContext): ConverseContentBlock[] {
  switch (part.type) {
    case 'text':
      return part.text === '' ? [] : [{ text: part.text }, ...cachePointAfter(part.cacheControl, context)];
    case 'tool-call':
      return [{ toolUse: { toolUseId: part.id, name: part.name, input: part.input ?? {} } }, ...cachePointAfter(part.cacheControl, context)];
    case 'reasoning':
      if (part.signature === undefined || part.signature === '') {
        context.dropped.drop(path, 'reasoning without a signature cannot be sent back through Bedrock Converse');
        return [];
      }
      return [{ reasoningContent: { reasoningText: { text: part.text, signature: part.signature } } }];
    case 'redacted-reasoning':
      return [{ reasoningContent: { redactedContent: part.data } }];
    default: {
      const unreachable: never = part;
      throw new Error(`unknown assistant part ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Appends a message, merging it into the previous one when the role repeats (Converse alternates roles). */
function appendMessage(messages: ConverseMessage[], role: ConverseMessage['role'], content: ConverseContentBlock[]): void {
  if (content.length === 0) return;
  const previous = messages[messages.length - 1];
  if (previous !== undefined && previous.role === role) previous.content.push(...content);
  else messages.push({ role, content });
}

function convertSystem(system: TextPart[], context: ConversionContext): ConverseSystemBlock[] {
  const blocks: ConverseSystemBlock[] = [];
  for (const part of system) {
    if (part.text !== '') blocks.push({ text: part.text });
    if (part.cacheControl !== undefined && context.features.cachePoints) blocks.push({ cachePoint: { type: 'default' } });
  }
  return blocks;
}

function convertToolChoice(request: GatewayRequest, context: ConversionContext): ConverseToolChoice | undefined {
  const choice = request.toolChoice;
  if (choice === undefined) return undefined;
  switch (choice.type) {
    case 'auto':
      return { auto: {} };
    case 'none':
      context.dropped.drop('tool_choice', 'Bedrock Converse has no "none" tool choice; tools stay offered');
      return undefined;
    case 'required':
      if (!context.features.forcedToolChoice) {
        context.dropped.drop('tool_choice', 'this Bedrock model only takes tool_choice auto');
        return { auto: {} };
      }
      return { any: {} };
    case 'tool':
      if (!context.features.forcedToolChoice) {
        context.dropped.drop('tool_choice', 'this Bedrock model only takes tool_choice auto');
        return { auto: {} };
      }
      return { tool: { name: choice.name } };
    default: {
      const unreachable: never = choice;
      throw new Error(`unknown tool choice ${JSON.stringify(unreachable)}`);
    }
  }
}

/** The model-specific reasoning (and `top_k`) fields of `additionalModelRequestFields`. */
function additionalFields(request: GatewayRequest, context: ConversionContext): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (request.topK !== undefined) {
    if (context.features.topK) fields.top_k = request.topK;
    else context.dropped.drop('top_k', 'this Bedrock model takes no top_k through Converse');
  }
  const reasoning = request.reasoning;
  const effort = request.effort;
  switch (context.features.reasoning) {
    case 'anthropic-thinking':
      if (reasoning !== undefined) {
        fields.thinking =
          reasoning.mode === 'enabled'
            ? { type: 'enabled', budget_tokens: reasoning.budgetTokens }
            : reasoning.mode === 'adaptive'
              ? { type: 'adaptive' }
              : { type: 'disabled' };
      }
      if (effort !== undefined) fields.output_config = { effort };
      break;
    case 'nova-reasoning-config':
      if (reasoning?.mode === 'disabled') fields.reasoningConfig = { type: 'disabled' };
      else if (reasoning !== undefined || effort !== undefined) {
        const level = effort !== undefined ? EFFORT_LEVELS[effort] : reasoning?.mode === 'enabled' ? effortForBudget(reasoning.budgetTokens) : 'medium';
        fields.reasoningConfig = { type: 'enabled', maxReasoningEffort: level };
      }
      break;
    case 'reasoning-effort':
      if (reasoning?.mode !== 'disabled' && (reasoning !== undefined || effort !== undefined)) {
        fields.reasoning_effort = effort !== undefined ? EFFORT_LEVELS[effort] : reasoning?.mode === 'enabled' ? effortForBudget(reasoning.budgetTokens) : 'medium';
      } else if (reasoning?.mode === 'disabled') {
        context.dropped.drop('thinking', 'this Bedrock model cannot turn reasoning off');
      }
      break;
    case 'none':
      if (reasoning !== undefined) context.dropped.drop('thinking', 'this Bedrock model takes no reasoning configuration through Converse');
      if (effort !== undefined) context.dropped.drop('output_config.effort', 'this Bedrock model takes no reasoning effort through Converse');
      break;
    default: {
      const unreachable: never = context.features.reasoning;
      throw new Error(`unknown reasoning style ${String(unreachable)}`);
    }
  }
  return fields;
}

/**
 * Converts an IR request into a Bedrock Converse request body. Pure: what the model cannot take is
 * left out and recorded in `dropped` (paths into the inbound request, e.g. `messages[2].content[0]`).
 *
 * Shapes:
 * - top-level system blocks → `system: [{text}]`; mid-conversation system messages become user
 *   text (Converse has no system role inside `messages`); consecutive same-role turns are merged;
 * - images and PDFs/text documents → `image` / `document` blocks with base64 `bytes`
 *   (URLs other than `s3://` are dropped); document names are sanitised as Bedrock requires;
 * - tool calls → `toolUse`; tool results → `toolResult` (text, images, documents; `status: error`
 *   for failed calls);
 * - reasoning with a signature → `reasoningContent.reasoningText`; redacted reasoning →
 *   `reasoningContent.redactedContent`;
 * - `cache_control` → a `cachePoint` after the block, for models with prompt caching;
 * - tools → `toolConfig.tools[].toolSpec` with `inputSchema.json`; tool choice auto/any/tool;
 * - max tokens, temperature, top_p and stop sequences → `inferenceConfig`; reasoning and `top_k`
 *   → `additionalModelRequestFields` in the model family's shape.
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 */
export function convertToConverseRequest(
  request: GatewayRequest,
  features: ConverseModelFeatures,
  dropped: DroppedFieldLog,
  options: ConvertConverseOptions = {},
): ConverseRequestBody {
  const context: ConversionContext = { dropped, features, documents: 0 };
  const messages: ConverseMessage[] = [];
  request.messages.forEach((message, messageIndex) => {
    const path = `messages[${messageIndex}]`;
    switch (message.role) {
      case 'system':
        appendMessage(
          messages,
          'user',
          message.content.filter((part) => part.text !== '').map((part) => ({ text: part.text })),
        );
        return;
      case 'user':
        appendMessage(
          messages,
          'user',
          message.content.flatMap((part, partIndex) => convertUserPart(part, `${path}.content[${partIndex}]`, context)),
        );
        return;
      case 'assistant':
        appendMessage(
          messages,
          'assistant',
          message.content.flatMap((part, partIndex) => convertAssistantPart(part, `${path}.content[${partIndex}]`, context)),
        );
        return;
      default: {
        const unreachable: never = message;
        throw new Error(`unknown message ${JSON.stringify(unreachable)}`);
      }
    }
  });

  const body: ConverseRequestBody = { messages };
  const system = convertSystem(request.system, context);
  if (system.length > 0) body.system = system;

  const maxTokens = options.maxOutputTokens === undefined ? request.maxOutputTokens : Math.min(request.maxOutputTokens, options.maxOutputTokens);
  body.inferenceConfig = { maxTokens };
  if (request.temperature !== undefined) body.inferenceConfig.temperature = request.temperature;
  if (request.topP !== undefined) body.inferenceConfig.topP = request.topP;
  if (request.stopSequences !== undefined && request.stopSequences.length > 0) body.inferenceConfig.stopSequences = request.stopSequences;

  if (request.tools.length > 0) {
    const tools: ConverseTool[] = [];
    for (const tool of request.tools) {
      tools.push({
        toolSpec: {
          name: tool.name,
          ...(tool.description === undefined || tool.description === '' ? {} : { description: tool.description }),
          inputSchema: { json: tool.inputSchema },
        },
      });
      if (tool.cacheControl !== undefined && features.cachePoints) tools.push({ cachePoint: { type: 'default' } });
    }
    body.toolConfig = { tools };
    const toolChoice = convertToolChoice(request, context);
    if (toolChoice !== undefined) body.toolConfig.toolChoice = toolChoice;
  } else if (request.toolChoice !== undefined && request.toolChoice.type !== 'none' && request.toolChoice.type !== 'auto') {
    dropped.drop('tool_choice', 'no tools were given');
  }
  if (request.parallelToolCalls === false) dropped.drop('tool_choice.disable_parallel_tool_use', 'Bedrock Converse has no parallel tool call switch');

  const additional = additionalFields(request, context);
  if (Object.keys(additional).length > 0) body.additionalModelRequestFields = additional;
  if (request.responseFormat !== undefined) dropped.drop('output_config.format', 'Bedrock Converse takes no JSON-schema output format here');
  if (request.user !== undefined) dropped.drop('metadata.user_id', 'Bedrock Converse takes no end-user identifier');
  return body;
}
