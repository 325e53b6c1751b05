import type { DroppedFieldLog } from '../../core/dropped-fields.js';
import { GatewayError } from '../../core/errors.js';
import type {
  AssistantPart,
  DocumentPart,
  GatewayRequest,
  ImagePart,
  ToolChoice,
  ToolResultPart,
  UserPart,
} from '../../core/gateway-request.js';
import { convertGeminiThinkingConfig } from './convert-gemini-thinking-config.js';
import type {
  GeminiContent,
  GeminiGenerateContentRequest,
  GeminiGenerationConfig,
  GeminiPart,
  GeminiToolConfig,
} from './gemini-api-types.js';
import { geminiModelFeatures } from './gemini-model-features.js';
import {
  SKIP_THOUGHT_SIGNATURE_VALIDATOR,
  thoughtSignatureFromReasoningSignature,
  thoughtSignatureFromToolCallId,
} from './gemini-thought-signature.js';
import { geminiFunctionParameters, sanitizeGeminiSchema } from './sanitize-gemini-schema.js';

/** Which Google API the body goes to: they differ in which file URIs `fileData` may carry. */
export type GeminiDialect = 'gemini-api' | 'vertex';

export interface ConvertToGeminiOptions {
  dialect: GeminiDialect;
  /** The instance's output-token cap (`max_output_tokens` in the config), tokens. */
  maxOutputTokens?: number;
}

/** Gemini accepts at most this many stop sequences. @see https://ai.google.dev/api/generate-content#GenerationConfig */
export const GEMINI_MAX_STOP_SEQUENCES = 5;

/** Separator between a document title and its text. */
const TITLE_SEPARATOR = '\n\n';

/**
 * Converts an IR request into a Gemini `generateContent` body (the model goes in the URL). Pure:
 * what Gemini cannot take is left out and recorded in `dropped` (paths into the inbound request,
 * e.g. `messages[3].content[1]`).
 *
 * - Top-level system blocks → `systemInstruction`. **Mid-conversation system messages become user
 *   text at their place** (Gemini has one system instruction; moving them there would lose where
 *   in the conversation they applied — Claude Code's reminders are already tagged
 *   `<system-reminder>`).
 * - Messages → `contents` with roles `user` / `model`; consecutive turns of one role are merged
 *   (Gemini wants them to alternate). In a user turn, `functionResponse` parts come first.
 * - Text, inline images (`inlineData`), PDFs (`inlineData`, `application/pdf`), text documents (text
 *   parts). Media by URL → `fileData` where the API takes the URI (Files API and YouTube URLs on
 *   the Gemini API; `gs://` and HTTPS on Vertex), otherwise a placeholder text (recorded).
 * - Tool calls → `functionCall` parts; the thought signature carried in the tool-call id goes back
 *   on the same part. Tool results → `functionResponse` parts named after the call they answer
 *   (`{output: text}`, or `{error: text}` for a failed call); media in results follow as parts.
 *   For Gemini 3, a model turn whose first call has no signature (history from another model) gets
 *   Google's `skip_thought_signature_validator` placeholder.
 * - Reasoning with a Gemini signature → a `thought: true` part with its `thoughtSignature`; other
 *   reasoning (another provider's, or Gemini thought text that came without a signature, which
 *   Gemini does not need back) and redacted reasoning are dropped (recorded).
 * - Tools → one `functionDeclarations` entry, schemas sanitised to Gemini's subset
 *   ({@link geminiFunctionParameters}); tool choice → `toolConfig.functionCallingConfig`.
 * - `maxOutputTokens` (clamped to the instance cap), `temperature`, `topP`, `topK`,
 *   `stopSequences` (at most 5), JSON output (`responseMimeType` + sanitised `responseSchema`),
 *   reasoning (`thinkingConfig`, see {@link convertGeminiThinkingConfig}).
 *
 * @throws GatewayError 400 when a tool result answers a tool call no earlier turn made
 * @see https://ai.google.dev/api/generate-content#request-body
 */
export function convertToGeminiRequest(
  request: GatewayRequest,
  dropped: DroppedFieldLog,
  options: ConvertToGeminiOptions,
): GeminiGenerateContentRequest {
  const features = geminiModelFeatures(request.model);
  const converter = new ContentConverter(request, dropped, options.dialect);
  const turns: GeminiContent[] = [];
  request.messages.forEach((message, messageIndex) => {
    switch (message.role) {
      case 'system':
        turns.push({ role: 'user', parts: message.content.filter((part) => part.text !== '').map((part) => ({ text: part.text })) });
        break;
      case 'user':
        turns.push({ role: 'user', parts: converter.userParts(message.content, messageIndex) });
        break;
      case 'assistant':
        turns.push({ role: 'model', parts: converter.modelParts(message.content, messageIndex) });
        break;
      default: {
        const unreachable: never = message;
        throw new Error(`unknown message role ${JSON.stringify(unreachable)}`);
      }
    }
  });
  const contents = mergeTurns(turns);
  if (features.requiresThoughtSignatures) addPlaceholderSignatures(contents);

  const body: GeminiGenerateContentRequest = { contents };
  const systemParts = request.system.filter((part) => part.text !== '').map((part) => ({ text: part.text }));
  if (systemParts.length > 0) body.systemInstruction = { parts: systemParts };

  if (request.tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: request.tools.map((tool) => {
          const declaration: { name: string; description?: string; parameters?: Record<string, unknown> } = { name: tool.name };
          if (tool.description !== undefined && tool.description !== '') declaration.description = tool.description;
          const { parameters } = geminiFunctionParameters(tool.inputSchema);
          if (parameters !== undefined) declaration.parameters = parameters;
          return declaration;
        }),
      },
    ];
    if (request.toolChoice !== undefined) body.toolConfig = convertToolChoice(request.toolChoice);
    if (request.parallelToolCalls === false) dropped.drop('tool_choice.disable_parallel_tool_use', 'Gemini has no switch for parallel function calls');
  }

  body.generationConfig = generationConfig(request, features, dropped, options);
  if (request.user !== undefined) dropped.drop('metadata.user_id', 'Gemini takes no end-user identifier');
  return body;
}

/** IR tool choice → `toolConfig.functionCallingConfig`. @see https://ai.google.dev/api/caching#FunctionCallingConfig */
export function convertToolChoice(choice: ToolChoice): GeminiToolConfig {
  switch (choice.type) {
    case 'auto':
      return { functionCallingConfig: { mode: 'AUTO' } };
    case 'required':
      return { functionCallingConfig: { mode: 'ANY' } };
    case 'none':
      return { functionCallingConfig: { mode: 'NONE' } };
    case 'tool':
      return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.name] } };
    default: {
      const unreachable: never = choice;
      throw new Error(`unknown tool choice ${JSON.stringify(unreachable)}`);
    }
  }
}

function generationConfig(
  request: GatewayRequest,
  features: ReturnType<typeof geminiModelFeatures>,
  dropped: DroppedFieldLog,
  options: ConvertToGeminiOptions,
): GeminiGenerationConfig {
  const config: GeminiGenerationConfig = {};
  let maxOutputTokens = request.maxOutputTokens;
  if (options.maxOutputTokens !== undefined && options.maxOutputTokens < maxOutputTokens) {
    dropped.drop('max_tokens', `lowered from ${maxOutputTokens} to ${options.maxOutputTokens}, the provider's limit`);
    maxOutputTokens = options.maxOutputTokens;
  }
  config.maxOutputTokens = maxOutputTokens;
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.topP !== undefined) config.topP = request.topP;
  if (request.topK !== undefined) config.topK = request.topK;
  if (request.stopSequences !== undefined && request.stopSequences.length > 0) {
    if (request.stopSequences.length > GEMINI_MAX_STOP_SEQUENCES) {
      dropped.drop('stop_sequences', `kept the first ${GEMINI_MAX_STOP_SEQUENCES} of ${request.stopSequences.length}: Gemini takes at most ${GEMINI_MAX_STOP_SEQUENCES}`);
    }
    config.stopSequences = request.stopSequences.slice(0, GEMINI_MAX_STOP_SEQUENCES);
  }
  if (request.responseFormat !== undefined) {
    config.responseMimeType = 'application/json';
    config.responseSchema = sanitizeGeminiSchema(request.responseFormat.schema).schema;
  }
  const thinkingConfig = convertGeminiThinkingConfig(request, features, dropped);
  if (thinkingConfig !== undefined) config.thinkingConfig = thinkingConfig;
  return config;
}

/** Converts message contents; holds what one request's conversion needs. */
class ContentConverter {
  /** Tool name of every tool call in the conversation, by id. */
  private readonly toolNames = new Map<string, string>();

  constructor(
    request: GatewayRequest,
    private readonly dropped: DroppedFieldLog,
    private readonly dialect: GeminiDialect,
  ) {
    for (const message of request.messages) {
      if (message.role !== 'assistant') continue;
      for (const part of message.content) if (part.type === 'tool-call') this.toolNames.set(part.id, part.name);
    }
  }

  userParts(parts: readonly UserPart[], messageIndex: number): GeminiPart[] {
    const responses: GeminiPart[] = [];
    const others: GeminiPart[] = [];
    parts.forEach((part, partIndex) => {
      const path = `messages[${messageIndex}].content[${partIndex}]`;
      switch (part.type) {
        case 'text':
          if (part.text !== '') others.push({ text: part.text });
          break;
        case 'image':
          others.push(this.imagePart(part, path));
          break;
        case 'document':
          others.push(this.documentPart(part, path));
          break;
        case 'tool-result':
          responses.push(this.functionResponsePart(part, path, others));
          break;
        default: {
          const unreachable: never = part;
          throw new Error(`unknown user part ${JSON.stringify(unreachable)}`);
        }
      }
    });
    return [...responses, ...others];
  }

  modelParts(parts: readonly AssistantPart[], messageIndex: number): GeminiPart[] {
    const result: GeminiPart[] = [];
    parts.forEach((part, partIndex) => {
      const path = `messages[${messageIndex}].content[${partIndex}]`;
      switch (part.type) {
        case 'text':
          if (part.text !== '') result.push({ text: part.text });
          break;
        case 'tool-call': {
          const functionPart: GeminiPart = { functionCall: { name: part.name, args: isRecord(part.input) ? part.input : {} } };
          const signature = thoughtSignatureFromToolCallId(part.id);
          if (signature !== undefined) functionPart.thoughtSignature = signature;
          result.push(functionPart);
          break;
        }
        case 'reasoning': {
          const signature = thoughtSignatureFromReasoningSignature(part.signature);
          if (signature === undefined) {
            if (part.text !== '' || part.signature !== undefined) this.dropped.drop(path, 'reasoning without a Gemini thought signature is not sent to Gemini');
            break;
          }
          result.push({ text: part.text, thought: true, thoughtSignature: signature });
          break;
        }
        case 'redacted-reasoning':
          this.dropped.drop(path, 'redacted reasoning is only meaningful to Anthropic');
          break;
        default: {
          const unreachable: never = part;
          throw new Error(`unknown assistant part ${JSON.stringify(unreachable)}`);
        }
      }
    });
    return result;
  }

  /** `functionResponse` for a tool result; media in it are appended to `media` as parts. */
  private functionResponsePart(part: ToolResultPart, path: string, media: GeminiPart[]): GeminiPart {
    const name = this.toolNames.get(part.toolCallId);
    if (name === undefined) {
      throw new GatewayError('invalid_request_error', `${path}: tool_result names tool_use_id ${part.toolCallId}, which no earlier assistant turn made`);
    }
    const texts: string[] = [];
    part.content.forEach((inner, innerIndex) => {
      const innerPath = `${path}.content[${innerIndex}]`;
      switch (inner.type) {
        case 'text':
          texts.push(inner.text);
          break;
        case 'image':
          media.push({ text: `[image from the result of ${name}]` }, this.imagePart(inner, innerPath));
          texts.push('[image sent after the tool results]');
          break;
        case 'document': {
          const documentPart = this.documentPart(inner, innerPath);
          if (documentPart.text !== undefined) {
            texts.push(documentPart.text);
          } else {
            media.push({ text: `[document from the result of ${name}]` }, documentPart);
            texts.push('[document sent after the tool results]');
          }
          break;
        }
        default: {
          const unreachable: never = inner;
          throw new Error(`unknown tool result part ${JSON.stringify(unreachable)}`);
        }
      }
    });
    const text = texts.join('\n');
    return { functionResponse: { name, response: part.isError ? { error: text } : { output: text } } };
  }

  private imagePart(part: ImagePart, path: string): GeminiPart {
    const source = part.source;
    if (source.kind === 'base64') return { inlineData: { mimeType: source.mediaType, data: source.data } };
    return this.urlPart(source.url, guessMimeType(source.url, 'image/jpeg'), 'image', path);
  }

  private documentPart(part: DocumentPart, path: string): GeminiPart {
    const source = part.source;
    const heading = part.title === undefined ? '' : `${part.title}${TITLE_SEPARATOR}`;
    switch (source.kind) {
      case 'text':
        return { text: `${heading}${source.text}` };
      case 'base64':
        if (source.mediaType === 'application/pdf') return { inlineData: { mimeType: source.mediaType, data: source.data } };
        if (source.mediaType.startsWith('text/')) return { text: `${heading}${Buffer.from(source.data, 'base64').toString('utf8')}` };
        this.dropped.drop(path, `Gemini takes no ${source.mediaType} documents here`);
        return { text: `[document${part.title === undefined ? '' : ` "${part.title}"`} omitted: ${source.mediaType} is not supported]` };
      case 'url':
        return this.urlPart(source.url, guessMimeType(source.url, 'application/pdf'), 'document', path);
      default: {
        const unreachable: never = source;
        throw new Error(`unknown document source ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** `fileData` when the API fetches this URI itself, otherwise a placeholder (recorded). */
  private urlPart(url: string, mimeType: string, kind: 'image' | 'document', path: string): GeminiPart {
    if (acceptsFileUri(url, this.dialect)) return { fileData: { mimeType, fileUri: url } };
    this.dropped.drop(path, `${this.dialect === 'vertex' ? 'Vertex AI' : 'the Gemini API'} does not fetch this ${kind} URL`);
    return { text: `[${kind} omitted: ${url}]` };
  }
}

/**
 * Whether a `fileData.fileUri` is one the API reads: Gemini API — its own Files API URIs and
 * YouTube videos; Vertex AI — Cloud Storage (`gs://`) and HTTP(S) URLs.
 * @see https://ai.google.dev/gemini-api/docs/files
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/Content#FileData
 */
export function acceptsFileUri(url: string, dialect: GeminiDialect): boolean {
  if (dialect === 'vertex') return /^(gs|https?):\/\//.test(url);
  return url.startsWith('https://generativelanguage.googleapis.com/') || /^https:\/\/(www\.)?(youtube\.com|youtu\.be)\//.test(url);
}

const MIME_TYPES_BY_EXTENSION: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  pdf: 'application/pdf',
  txt: 'text/plain',
  mp4: 'video/mp4',
};

function guessMimeType(url: string, fallback: string): string {
  const path = url.split(/[?#]/)[0];
  const extension = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  if (/^https:\/\/(www\.)?(youtube\.com|youtu\.be)\//.test(url)) return 'video/mp4';
  return (extension === undefined ? undefined : MIME_TYPES_BY_EXTENSION[extension]) ?? fallback;
}

/** Merges consecutive turns of one role and leaves out turns without parts. */
function mergeTurns(turns: GeminiContent[]): GeminiContent[] {
  const merged: GeminiContent[] = [];
  for (const turn of turns) {
    if (turn.parts.length === 0) continue;
    const last = merged[merged.length - 1];
    if (last !== undefined && last.role === turn.role) {
      last.parts = turn.role === 'user' ? orderUserParts([...last.parts, ...turn.parts]) : [...last.parts, ...turn.parts];
    } else {
      merged.push({ role: turn.role, parts: [...turn.parts] });
    }
  }
  return merged;
}

/** `functionResponse` parts first (they answer the previous model turn), then the rest in order. */
function orderUserParts(parts: GeminiPart[]): GeminiPart[] {
  return [...parts.filter((part) => part.functionResponse !== undefined), ...parts.filter((part) => part.functionResponse === undefined)];
}

/** Gemini 3: the first `functionCall` of every model turn needs a signature; history from elsewhere gets the placeholder. */
function addPlaceholderSignatures(contents: GeminiContent[]): void {
  for (const content of contents) {
    if (content.role !== 'model') continue;
    const firstCall = content.parts.find((part) => part.functionCall !== undefined);
    if (firstCall !== undefined && firstCall.thoughtSignature === undefined) firstCall.thoughtSignature = SKIP_THOUGHT_SIGNATURE_VALIDATOR;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
