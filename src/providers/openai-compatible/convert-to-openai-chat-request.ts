import { createHash } from 'node:crypto';
import type { DroppedFieldLog } from '../../core/dropped-fields.js';
import type {
  AssistantPart,
  DocumentPart,
  GatewayRequest,
  ImagePart,
  TextPart,
  ToolChoice,
  ToolResultPart,
  UserPart,
} from '../../core/gateway-request.js';
import { convertReasoningRequest } from './convert-reasoning-request.js';
import { normalizeToolCallId } from './normalize-tool-call-id.js';
import type {
  OpenAIChatAssistantMessage,
  OpenAIChatContentPart,
  OpenAIChatMessage,
  OpenAIChatRequestBody,
  OpenAIChatTextPart,
  OpenAIChatToolCall,
  OpenAIChatToolChoice,
  OpenAIChatToolMessage,
} from './openai-chat-api-types.js';
import { resolveQuirks, type OpenAICompatibleQuirks, type ResolvedQuirks } from './openai-compatible-quirks.js';

/** Limits that come from the configured provider instance rather than the provider kind. */
export interface ConvertRequestOptions {
  /** The instance's output-token cap (`maxOutputTokens` in the config), in tokens. */
  maxOutputTokens?: number;
}

/** Separator between consecutive text blocks folded into one string. */
const TEXT_BLOCK_SEPARATOR = '\n\n';

/** Prefix of a tool message whose tool call failed (Anthropic `is_error: true`). */
export const TOOL_ERROR_PREFIX = '[tool error] ';

/**
 * Converts an IR request into a Chat Completions request body for one OpenAI-compatible provider.
 * Pure: everything the provider cannot take is left out and recorded in `dropped` (JSON paths into
 * the inbound Anthropic request, e.g. `messages[3].content[1]`); `cache_control` markers are left out
 * silently except where the provider passes them on (OpenRouter).
 *
 * Shapes:
 * - top-level system blocks become one leading `system` (or `developer`) message; mid-conversation
 *   system messages stay where they are;
 * - a user turn becomes its `tool` messages first (one per tool result, in order), then one user
 *   message holding media that came out of tool results followed by the turn's own content;
 * - images inside tool results move into that user message (tool messages carry text only), with a
 *   note in the tool message; a failed tool call's text starts with {@link TOOL_ERROR_PREFIX};
 * - assistant tool calls become `tool_calls` with JSON-serialized arguments;
 * - text-only content is sent as one string (blocks joined by a blank line), which every
 *   compatible server accepts; mixed content is sent as content parts;
 * - a JSON-schema output format becomes `response_format` (see the `responseFormat` quirk).
 *
 * @see https://platform.openai.com/docs/api-reference/chat/create
 */
export function convertToOpenAIChatRequest(
  request: GatewayRequest,
  providerQuirks: OpenAICompatibleQuirks,
  dropped: DroppedFieldLog,
  options: ConvertRequestOptions = {},
): OpenAIChatRequestBody {
  const quirks = resolveQuirks(providerQuirks, request.model);
  const converter = new MessageConverter(quirks, dropped);
  const messages: OpenAIChatMessage[] = [];
  if (request.system.length > 0) {
    messages.push({ role: quirks.systemRole, content: converter.textContent(request.system) });
  }
  request.messages.forEach((message, messageIndex) => {
    switch (message.role) {
      case 'system':
        messages.push({ role: quirks.systemRole, content: converter.textContent(message.content) });
        break;
      case 'user':
        messages.push(...converter.userMessages(message.content, messageIndex));
        break;
      case 'assistant': {
        const assistant = converter.assistantMessage(message.content, messageIndex);
        if (assistant !== undefined) messages.push(assistant);
        break;
      }
      default: {
        const unreachable: never = message;
        throw new Error(`unknown message role ${JSON.stringify(unreachable)}`);
      }
    }
  });

  const body: OpenAIChatRequestBody = { model: request.model, messages, stream: request.stream };
  addTools(body, request, quirks, dropped);
  body[quirks.maxTokensField] = clampMaxTokens(request.maxOutputTokens, quirks, options, dropped);
  addSampling(body, request, quirks, dropped);
  addStopSequences(body, request.stopSequences, quirks, dropped);
  addResponseFormat(body, request.responseFormat, quirks, dropped);
  Object.assign(body, convertReasoningRequest(request, quirks, dropped));
  if (request.user !== undefined) {
    if (quirks.supportsUser) body.user = fitUser(request.user, quirks.maxUserLength);
    else dropped.drop('metadata.user_id', 'this provider takes no end-user identifier');
  }
  if (request.stream && quirks.supportsStreamOptions) body.stream_options = { include_usage: true };
  return quirks.extraBody === undefined ? body : { ...quirks.extraBody, ...body };
}

/** Converts message contents; holds the quirks and the drop log for one request. */
class MessageConverter {
  constructor(
    private readonly quirks: ResolvedQuirks,
    private readonly dropped: DroppedFieldLog,
  ) {}

  /** Text blocks as one string, or as parts when cache markers are passed through. */
  textContent(parts: readonly TextPart[]): string | OpenAIChatTextPart[] {
    if (this.quirks.passCacheControl && parts.some((part) => part.cacheControl !== undefined)) {
      return parts.map((part) => this.textPart(part));
    }
    return parts.map((part) => part.text).join(TEXT_BLOCK_SEPARATOR);
  }

  userMessages(parts: readonly UserPart[], messageIndex: number): OpenAIChatMessage[] {
    const toolMessages: OpenAIChatToolMessage[] = [];
    const toolMedia: OpenAIChatContentPart[] = [];
    const content: OpenAIChatContentPart[] = [];
    parts.forEach((part, partIndex) => {
      const path = `messages[${messageIndex}].content[${partIndex}]`;
      switch (part.type) {
        case 'text':
          content.push(this.textPart(part));
          break;
        case 'image':
          content.push(...this.imageParts(part, path));
          break;
        case 'document':
          content.push(...this.documentParts(part, path));
          break;
        case 'tool-result':
          if (this.quirks.supportsTools) {
            toolMessages.push(this.toolMessage(part, path, toolMedia));
          } else {
            this.dropped.drop(path, 'sent as text: this provider takes no tools');
            content.push({ type: 'text', text: this.toolResultAsText(part, path) });
          }
          break;
        default: {
          const unreachable: never = part;
          throw new Error(`unknown user part ${JSON.stringify(unreachable)}`);
        }
      }
    });
    const messages: OpenAIChatMessage[] = [...toolMessages];
    const userContent = [...toolMedia, ...content];
    if (userContent.length > 0) messages.push({ role: 'user', content: simplifyContent(userContent) });
    return messages;
  }

  assistantMessage(parts: readonly AssistantPart[], messageIndex: number): OpenAIChatAssistantMessage | undefined {
    const texts: string[] = [];
    const toolCalls: OpenAIChatToolCall[] = [];
    const reasoning: string[] = [];
    parts.forEach((part, partIndex) => {
      const path = `messages[${messageIndex}].content[${partIndex}]`;
      switch (part.type) {
        case 'text':
          texts.push(part.text);
          break;
        case 'tool-call':
          if (this.quirks.supportsTools) {
            toolCalls.push({
              id: this.toolCallId(part.id),
              type: 'function',
              function: { name: part.name, arguments: JSON.stringify(part.input ?? {}) },
            });
          } else {
            this.dropped.drop(path, 'sent as text: this provider takes no tools');
            texts.push(`[called tool ${part.name} with ${JSON.stringify(part.input ?? {})}]`);
          }
          break;
        case 'reasoning':
          if (this.quirks.reasoningReplay === 'reasoning_content') reasoning.push(part.text);
          else this.dropped.drop(path, 'earlier reasoning is not sent back to this provider');
          break;
        case 'redacted-reasoning':
          this.dropped.drop(path, 'redacted reasoning is only meaningful to Anthropic');
          break;
        default: {
          const unreachable: never = part;
          throw new Error(`unknown assistant part ${JSON.stringify(unreachable)}`);
        }
      }
    });
    const replay = this.quirks.reasoningReplay === 'reasoning_content' && (toolCalls.length > 0 || reasoning.length > 0);
    if (texts.length === 0 && toolCalls.length === 0 && !replay) return undefined;
    const message: OpenAIChatAssistantMessage = {
      role: 'assistant',
      content: texts.length > 0 ? texts.join(TEXT_BLOCK_SEPARATOR) : toolCalls.length > 0 ? null : '',
    };
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    if (replay) message.reasoning_content = reasoning.join('');
    return message;
  }

  private toolMessage(part: ToolResultPart, path: string, toolMedia: OpenAIChatContentPart[]): OpenAIChatToolMessage {
    const texts: string[] = [];
    part.content.forEach((inner, innerIndex) => {
      const innerPath = `${path}.content[${innerIndex}]`;
      if (inner.type === 'text') {
        texts.push(inner.text);
        return;
      }
      const media = inner.type === 'image' ? this.imageParts(inner, innerPath) : this.documentParts(inner, innerPath);
      for (const mediaPart of media) {
        if (mediaPart.type === 'text') {
          texts.push(mediaPart.text);
        } else {
          toolMedia.push({ type: 'text', text: `[${describeMedia(mediaPart)} from the result of tool call ${this.toolCallId(part.toolCallId)}]` });
          toolMedia.push(mediaPart);
          texts.push(`[${describeMedia(mediaPart)} sent in the next user message]`);
        }
      }
    });
    const text = texts.join('\n');
    return {
      role: 'tool',
      tool_call_id: this.toolCallId(part.toolCallId),
      content: part.isError ? `${TOOL_ERROR_PREFIX}${text}` : text,
    };
  }

  private toolResultAsText(part: ToolResultPart, path: string): string {
    const texts = part.content.flatMap((inner, innerIndex) => {
      if (inner.type === 'text') return [inner.text];
      this.dropped.drop(`${path}.content[${innerIndex}]`, 'media in a tool result cannot be sent without tools');
      return [`[${inner.type} omitted]`];
    });
    const status = part.isError ? ' (failed)' : '';
    return `[result of tool call ${part.toolCallId}${status}]\n${texts.join('\n')}`;
  }

  private textPart(part: TextPart): OpenAIChatTextPart {
    if (this.quirks.passCacheControl && part.cacheControl !== undefined) {
      const cacheControl: OpenAIChatTextPart['cache_control'] = { type: 'ephemeral' };
      if (part.cacheControl.ttl !== undefined) cacheControl.ttl = part.cacheControl.ttl;
      return { type: 'text', text: part.text, cache_control: cacheControl };
    }
    return { type: 'text', text: part.text };
  }

  /** An image part, or a placeholder text part when the provider takes no images. */
  private imageParts(part: ImagePart, path: string): OpenAIChatContentPart[] {
    if (!this.quirks.supportsImages) {
      this.dropped.drop(path, 'this provider takes no images');
      return [{ type: 'text', text: '[image omitted: this model does not accept images]' }];
    }
    const url = part.source.kind === 'base64' ? `data:${part.source.mediaType};base64,${part.source.data}` : part.source.url;
    return [{ type: 'image_url', image_url: { url } }];
  }

  /** A document as text, as an inline PDF file, or as a placeholder when it cannot be sent. */
  private documentParts(part: DocumentPart, path: string): OpenAIChatContentPart[] {
    const source = part.source;
    const heading = part.title === undefined ? '' : `${part.title}${TEXT_BLOCK_SEPARATOR}`;
    switch (source.kind) {
      case 'text':
        return [{ type: 'text', text: `${heading}${source.text}` }];
      case 'base64':
        if (source.mediaType === 'application/pdf' && this.quirks.supportsPdfFiles) {
          return [{
            type: 'file',
            file: { filename: part.title ?? 'document.pdf', file_data: `data:application/pdf;base64,${source.data}` },
          }];
        }
        if (source.mediaType.startsWith('text/')) {
          return [{ type: 'text', text: `${heading}${Buffer.from(source.data, 'base64').toString('utf8')}` }];
        }
        this.dropped.drop(path, `this provider takes no ${source.mediaType} documents`);
        return [{ type: 'text', text: `[document${part.title === undefined ? '' : ` "${part.title}"`} omitted: this model does not accept ${source.mediaType} files]` }];
      case 'url':
        this.dropped.drop(path, 'Chat Completions takes no documents by URL');
        return [{ type: 'text', text: `[document omitted: ${source.url}]` }];
      default: {
        const unreachable: never = source;
        throw new Error(`unknown document source ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private toolCallId(id: string): string {
    return this.quirks.toolCallIdLength === undefined ? id : normalizeToolCallId(id, this.quirks.toolCallIdLength);
  }
}

function describeMedia(part: OpenAIChatContentPart): string {
  return part.type === 'file' ? `document ${part.file.filename}` : 'image';
}

/** Text-only content (without cache markers) as one string; anything else as parts. */
function simplifyContent(parts: OpenAIChatContentPart[]): string | OpenAIChatContentPart[] {
  const texts: string[] = [];
  for (const part of parts) {
    if (part.type !== 'text' || part.cache_control !== undefined) return parts;
    texts.push(part.text);
  }
  return texts.join(TEXT_BLOCK_SEPARATOR);
}

function addTools(body: OpenAIChatRequestBody, request: GatewayRequest, quirks: ResolvedQuirks, dropped: DroppedFieldLog): void {
  if (request.tools.length === 0) return;
  if (!quirks.supportsTools) {
    dropped.drop('tools', 'this provider takes no tools');
    if (request.toolChoice !== undefined) dropped.drop('tool_choice', 'this provider takes no tools');
    return;
  }
  body.tools = request.tools.map((tool) => ({
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      parameters: tool.inputSchema,
    },
  }));
  if (request.toolChoice !== undefined) body.tool_choice = convertToolChoice(request.toolChoice, quirks);
  if (request.parallelToolCalls === false) {
    if (quirks.supportsParallelToolCalls) body.parallel_tool_calls = false;
    else dropped.drop('tool_choice.disable_parallel_tool_use', 'this provider has no parallel_tool_calls switch');
  }
}

/** IR tool choice → `tool_choice`. */
export function convertToolChoice(choice: ToolChoice, quirks: Pick<ResolvedQuirks, 'toolChoiceRequired'>): OpenAIChatToolChoice {
  switch (choice.type) {
    case 'auto':
      return 'auto';
    case 'required':
      return quirks.toolChoiceRequired;
    case 'none':
      return 'none';
    case 'tool':
      return { type: 'function', function: { name: choice.name } };
    default: {
      const unreachable: never = choice;
      throw new Error(`unknown tool choice ${JSON.stringify(unreachable)}`);
    }
  }
}

function clampMaxTokens(requested: number, quirks: ResolvedQuirks, options: ConvertRequestOptions, dropped: DroppedFieldLog): number {
  let limit = requested;
  for (const cap of [quirks.maxOutputTokens, options.maxOutputTokens]) {
    if (cap !== undefined && cap < limit) limit = cap;
  }
  if (limit < requested) dropped.drop('max_tokens', `lowered from ${requested} to ${limit}, the provider's limit`);
  return limit;
}

function addSampling(body: OpenAIChatRequestBody, request: GatewayRequest, quirks: ResolvedQuirks, dropped: DroppedFieldLog): void {
  if (request.temperature !== undefined) {
    if (quirks.supportsSamplingParameters) body.temperature = request.temperature;
    else dropped.drop('temperature', 'this model takes no temperature');
  }
  if (request.topP !== undefined) {
    if (quirks.supportsSamplingParameters) body.top_p = request.topP;
    else dropped.drop('top_p', 'this model takes no top_p');
  }
  if (request.topK !== undefined) {
    if (quirks.supportsTopK) body.top_k = request.topK;
    else dropped.drop('top_k', 'this provider takes no top_k');
  }
}

function addStopSequences(body: OpenAIChatRequestBody, stopSequences: string[] | undefined, quirks: ResolvedQuirks, dropped: DroppedFieldLog): void {
  if (stopSequences === undefined || stopSequences.length === 0) return;
  const limit = quirks.maxStopSequences;
  if (limit === 0) {
    dropped.drop('stop_sequences', 'this model takes no stop sequences');
    return;
  }
  if (limit !== undefined && stopSequences.length > limit) {
    dropped.drop('stop_sequences', `kept the first ${limit} of ${stopSequences.length}: this provider takes at most ${limit}`);
    body.stop = stopSequences.slice(0, limit);
    return;
  }
  body.stop = [...stopSequences];
}

function addResponseFormat(
  body: OpenAIChatRequestBody,
  responseFormat: GatewayRequest['responseFormat'],
  quirks: ResolvedQuirks,
  dropped: DroppedFieldLog,
): void {
  if (responseFormat === undefined) return;
  switch (quirks.responseFormat) {
    case 'json-schema':
      body.response_format = { type: 'json_schema', json_schema: { name: responseFormat.name ?? 'response', schema: responseFormat.schema } };
      return;
    case 'json-object':
      body.response_format = { type: 'json_object' };
      appendSystemInstruction(
        body.messages,
        quirks.systemRole,
        `Answer with a JSON object only, matching this JSON Schema:\n${JSON.stringify(responseFormat.schema)}`,
      );
      dropped.drop('output_config.format', 'sent as a JSON-object format with the schema as a system instruction');
      return;
    case 'none':
      dropped.drop('output_config.format', 'this provider takes no structured output format');
      return;
    default: {
      const unreachable: never = quirks.responseFormat;
      throw new Error(`unknown response format support ${String(unreachable)}`);
    }
  }
}

/** Adds `instruction` to the leading system message, or puts one in front. */
function appendSystemInstruction(messages: OpenAIChatMessage[], role: ResolvedQuirks['systemRole'], instruction: string): void {
  const first = messages[0];
  if (first !== undefined && (first.role === 'system' || first.role === 'developer')) {
    if (typeof first.content === 'string') first.content = `${first.content}${TEXT_BLOCK_SEPARATOR}${instruction}`;
    else first.content.push({ type: 'text', text: instruction });
    return;
  }
  messages.unshift({ role, content: instruction });
}

/** The `user` value, replaced by a SHA-256 hex prefix when longer than the provider allows. */
function fitUser(user: string, maxLength: number | undefined): string {
  if (maxLength === undefined || user.length <= maxLength) return user;
  return createHash('sha256').update(user).digest('hex').slice(0, maxLength);
}
