import type { DroppedFieldLog } from '../../core/dropped-fields.js';
import type {
  AssistantPart,
  GatewayMessage,
  GatewayRequest,
  ReasoningEffort,
  TextPart,
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
  optionalNumber,
  optionalString,
  type JsonObject,
} from '../../core/request-validation.js';
import { reasoningSignatureFromThoughtSignature } from '../../providers/gemini/gemini-thought-signature.js';
import { convertGeminiSchemaToJsonSchema } from './convert-gemini-schema-to-json-schema.js';

/** Output-token limit used when a Gemini request sets none (Gemini's own default depends on the model). */
export const DEFAULT_GEMINI_MAX_OUTPUT_TOKENS = 8192;

/** Thinking level → IR effort. */
const EFFORT_FOR_LEVEL: Readonly<Record<string, ReasoningEffort>> = { minimal: 'low', low: 'low', medium: 'medium', high: 'high' };

/** Top-level request fields without an IR equivalent, dropped (recorded). */
const DROPPED_FIELDS = ['safetySettings', 'cachedContent', 'labels', 'serviceTier', 'store'] as const;

/** Generation settings without an IR equivalent, dropped (recorded). */
const DROPPED_GENERATION_FIELDS = [
  'candidateCount',
  'presencePenalty',
  'frequencyPenalty',
  'seed',
  'responseLogprobs',
  'logprobs',
  'responseModalities',
  'speechConfig',
  'mediaResolution',
  'imageConfig',
] as const;

/**
 * Validates a Gemini `generateContent` body and converts it into the IR, for serving a
 * Gemini-format caller (`@google/genai`) from a provider that is not Google.
 *
 * - `systemInstruction` → system text; `contents` → messages (`user` / `model`; a missing role is
 *   `user`). Text, `inlineData` (images, PDFs, text files), `fileData` (by URL), thought parts
 *   (reasoning; their `thoughtSignature` kept as a Gemini reasoning signature).
 * - `functionCall` parts → tool calls with the call's `id`, or a generated one
 *   (`call_<content>_<part>`); `functionResponse` parts → tool results answering the call with
 *   the same `id`, else the earliest unanswered call of the same name (Gemini matches by name and
 *   order). `response.output` / `response.error` become the result text (error marked), any other
 *   response object its JSON.
 * - `tools[].functionDeclarations` → tools (`parameters` converted from Gemini's schema subset,
 *   `parametersJsonSchema` used as is); other tools (Google Search, code execution) are dropped.
 *   `toolConfig.functionCallingConfig` → tool choice (`ANY` with one allowed name → that tool).
 * - `generationConfig`: `maxOutputTokens` (default {@link DEFAULT_GEMINI_MAX_OUTPUT_TOKENS}),
 *   `temperature`, `topP`, `topK`, `stopSequences`, JSON output (`responseMimeType` +
 *   `responseSchema` / `responseJsonSchema`), `thinkingConfig` (`thinkingBudget` > 0 → budget,
 *   0 → disabled, −1 → adaptive; `thinkingLevel` → effort).
 *
 * Unsupported fields are dropped and recorded; malformed values are a 400 naming the field.
 *
 * @param model the model from the URL; stream whether the method was `streamGenerateContent`
 * @throws GatewayError (`invalid_request_error`, 400) on a malformed request
 * @see https://ai.google.dev/api/generate-content#request-body
 */
export function parseGeminiRequest(body: unknown, dropped: DroppedFieldLog, options: { model: string; stream: boolean }): GatewayRequest {
  const root = expectObject(body, '');
  const request: GatewayRequest = {
    model: options.model,
    system: parseSystemInstruction(root.systemInstruction ?? root.system_instruction),
    messages: new ContentParser(dropped).parse(root.contents),
    tools: parseTools(root.tools, dropped),
    maxOutputTokens: DEFAULT_GEMINI_MAX_OUTPUT_TOKENS,
    stream: options.stream,
  };
  const toolChoice = parseToolConfig(root.toolConfig);
  if (toolChoice !== undefined) request.toolChoice = toolChoice;
  if (root.generationConfig !== undefined && root.generationConfig !== null) parseGenerationConfig(expectObject(root.generationConfig, 'generationConfig'), request, dropped);
  for (const field of DROPPED_FIELDS) {
    if (root[field] !== undefined && root[field] !== null) dropped.drop(field, 'Gemini-only setting; the target provider has no equivalent');
  }
  return request;
}

function parseSystemInstruction(value: unknown): TextPart[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value === '' ? [] : [{ type: 'text', text: value }];
  const content = expectObject(value, 'systemInstruction');
  return expectArray(content.parts, 'systemInstruction.parts').flatMap((part, index) => {
    const text = optionalString(expectObject(part, joinPath('systemInstruction.parts', index)).text, `systemInstruction.parts.${index}.text`);
    return text === undefined || text === '' ? [] : [{ type: 'text' as const, text }];
  });
}

/** Converts `contents`, pairing function responses with the calls they answer. */
class ContentParser {
  /** Calls not answered yet, in order: id and name. */
  private readonly pendingCalls: Array<{ id: string; name: string }> = [];

  constructor(private readonly dropped: DroppedFieldLog) {}

  parse(value: unknown): GatewayMessage[] {
    const messages: GatewayMessage[] = [];
    expectArray(value, 'contents').forEach((item, contentIndex) => {
      const path = joinPath('contents', contentIndex);
      const content = expectObject(item, path);
      const role = optionalString(content.role, joinPath(path, 'role')) ?? 'user';
      const parts = expectArray(content.parts, joinPath(path, 'parts'));
      if (role === 'model') {
        messages.push({ role: 'assistant', content: this.modelParts(parts, contentIndex) });
      } else if (role === 'user' || role === 'function' || role === 'tool') {
        messages.push({ role: 'user', content: this.userParts(parts, contentIndex) });
      } else {
        throw invalidField(joinPath(path, 'role'), "Input should be 'user' or 'model'");
      }
    });
    return messages;
  }

  private modelParts(parts: unknown[], contentIndex: number): AssistantPart[] {
    const result: AssistantPart[] = [];
    parts.forEach((value, partIndex) => {
      const path = `contents.${contentIndex}.parts.${partIndex}`;
      const part = expectObject(value, path);
      const signature = optionalString(part.thoughtSignature, joinPath(path, 'thoughtSignature'));
      if (isJsonObject(part.functionCall)) {
        const call = part.functionCall;
        const name = expectString(call.name, joinPath(path, 'functionCall.name'));
        const id = optionalString(call.id, joinPath(path, 'functionCall.id')) ?? `call_${contentIndex}_${partIndex}`;
        const args = call.args === undefined || call.args === null ? {} : expectObject(call.args, joinPath(path, 'functionCall.args'));
        this.pendingCalls.push({ id, name });
        result.push({ type: 'tool-call', id, name, input: args });
        return;
      }
      if (typeof part.text === 'string') {
        if (part.thought === true) {
          result.push(signature === undefined ? { type: 'reasoning', text: part.text } : { type: 'reasoning', text: part.text, signature: reasoningSignatureFromThoughtSignature(signature) });
        } else if (part.text !== '') {
          result.push({ type: 'text', text: part.text });
        }
        return;
      }
      this.dropped.drop(path, 'this part type is not supported by translation');
    });
    return result;
  }

  private userParts(parts: unknown[], contentIndex: number): UserPart[] {
    const result: UserPart[] = [];
    parts.forEach((value, partIndex) => {
      const path = `contents.${contentIndex}.parts.${partIndex}`;
      const part = expectObject(value, path);
      if (typeof part.text === 'string') {
        if (part.text !== '') result.push({ type: 'text', text: part.text });
        return;
      }
      if (isJsonObject(part.inlineData)) {
        const media = this.inlineMedia(part.inlineData, joinPath(path, 'inlineData'));
        if (media !== undefined) result.push(media);
        return;
      }
      if (isJsonObject(part.fileData)) {
        const fileUri = expectString(part.fileData.fileUri, joinPath(path, 'fileData.fileUri'));
        const mimeType = optionalString(part.fileData.mimeType, joinPath(path, 'fileData.mimeType')) ?? '';
        result.push(mimeType.startsWith('image/') ? { type: 'image', source: { kind: 'url', url: fileUri } } : { type: 'document', source: { kind: 'url', url: fileUri } });
        return;
      }
      if (isJsonObject(part.functionResponse)) {
        result.push(this.toolResult(part.functionResponse, joinPath(path, 'functionResponse')));
        return;
      }
      this.dropped.drop(path, 'this part type is not supported by translation');
    });
    return result;
  }

  private inlineMedia(blob: JsonObject, path: string): UserPart | undefined {
    const mimeType = expectString(blob.mimeType, joinPath(path, 'mimeType'));
    const data = expectString(blob.data, joinPath(path, 'data'));
    if (mimeType.startsWith('image/')) return { type: 'image', source: { kind: 'base64', mediaType: mimeType, data } };
    if (mimeType === 'application/pdf') return { type: 'document', source: { kind: 'base64', mediaType: mimeType, data } };
    if (mimeType.startsWith('text/')) return { type: 'document', source: { kind: 'text', mediaType: mimeType, text: Buffer.from(data, 'base64').toString('utf8') } };
    this.dropped.drop(path, `${mimeType} content is not supported by translation`);
    return undefined;
  }

  private toolResult(response: JsonObject, path: string): ToolResultPart {
    const name = expectString(response.name, joinPath(path, 'name'));
    const id = optionalString(response.id, joinPath(path, 'id'));
    let position = id === undefined ? -1 : this.pendingCalls.findIndex((call) => call.id === id);
    if (position < 0) position = this.pendingCalls.findIndex((call) => call.name === name);
    if (position < 0) throw invalidField(path, `functionResponse for ${name} answers no earlier functionCall`);
    const [call] = this.pendingCalls.splice(position, 1);
    const payload = response.response === undefined || response.response === null ? {} : expectObject(response.response, joinPath(path, 'response'));
    const isError = payload.error !== undefined && payload.output === undefined;
    const value = isError ? payload.error : payload.output !== undefined ? payload.output : payload;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return { type: 'tool-result', toolCallId: call.id, content: [{ type: 'text', text }], isError };
  }
}

function parseTools(value: unknown, dropped: DroppedFieldLog): ToolDefinition[] {
  if (value === undefined || value === null) return [];
  const tools: ToolDefinition[] = [];
  expectArray(value, 'tools').forEach((item, toolIndex) => {
    const path = joinPath('tools', toolIndex);
    const tool = expectObject(item, path);
    for (const key of Object.keys(tool)) {
      if (key !== 'functionDeclarations') dropped.drop(joinPath(path, key), `Gemini tool ${key} runs only on Google`);
    }
    if (tool.functionDeclarations === undefined) return;
    expectArray(tool.functionDeclarations, joinPath(path, 'functionDeclarations')).forEach((declarationValue, index) => {
      const declarationPath = joinPath(joinPath(path, 'functionDeclarations'), index);
      const declaration = expectObject(declarationValue, declarationPath);
      const name = expectString(declaration.name, joinPath(declarationPath, 'name'));
      let inputSchema: Record<string, unknown>;
      if (isJsonObject(declaration.parametersJsonSchema)) inputSchema = declaration.parametersJsonSchema;
      else if (isJsonObject(declaration.parameters)) inputSchema = convertGeminiSchemaToJsonSchema(declaration.parameters);
      else inputSchema = { type: 'object', properties: {} };
      const definition: ToolDefinition = { name, inputSchema };
      const description = optionalString(declaration.description, joinPath(declarationPath, 'description'));
      if (description !== undefined) definition.description = description;
      tools.push(definition);
    });
  });
  return tools;
}

function parseToolConfig(value: unknown): ToolChoice | undefined {
  if (value === undefined || value === null) return undefined;
  const config = expectObject(value, 'toolConfig');
  if (config.functionCallingConfig === undefined || config.functionCallingConfig === null) return undefined;
  const calling = expectObject(config.functionCallingConfig, 'toolConfig.functionCallingConfig');
  const mode = optionalString(calling.mode, 'toolConfig.functionCallingConfig.mode') ?? 'AUTO';
  const allowed = calling.allowedFunctionNames === undefined ? [] : expectArray(calling.allowedFunctionNames, 'toolConfig.functionCallingConfig.allowedFunctionNames');
  switch (mode) {
    case 'AUTO':
    case 'MODE_UNSPECIFIED':
    case 'VALIDATED':
      return { type: 'auto' };
    case 'ANY':
      return allowed.length === 1 ? { type: 'tool', name: expectString(allowed[0], 'toolConfig.functionCallingConfig.allowedFunctionNames.0') } : { type: 'required' };
    case 'NONE':
      return { type: 'none' };
    default:
      throw invalidField('toolConfig.functionCallingConfig.mode', "Input should be 'AUTO', 'ANY', 'NONE' or 'VALIDATED'");
  }
}

function parseGenerationConfig(config: JsonObject, request: GatewayRequest, dropped: DroppedFieldLog): void {
  const path = 'generationConfig';
  if (config.maxOutputTokens !== undefined && config.maxOutputTokens !== null) {
    request.maxOutputTokens = expectInteger(config.maxOutputTokens, joinPath(path, 'maxOutputTokens'), 1);
  }
  const temperature = optionalNumber(config.temperature, joinPath(path, 'temperature'));
  if (temperature !== undefined) request.temperature = temperature;
  const topP = optionalNumber(config.topP, joinPath(path, 'topP'));
  if (topP !== undefined) request.topP = topP;
  if (config.topK !== undefined && config.topK !== null) request.topK = expectInteger(config.topK, joinPath(path, 'topK'), 0);
  if (config.stopSequences !== undefined && config.stopSequences !== null) {
    request.stopSequences = expectArray(config.stopSequences, joinPath(path, 'stopSequences')).map((sequence, index) =>
      expectString(sequence, joinPath(joinPath(path, 'stopSequences'), index)),
    );
  }
  const mimeType = optionalString(config.responseMimeType, joinPath(path, 'responseMimeType'));
  if (mimeType === 'application/json') {
    if (isJsonObject(config.responseJsonSchema)) request.responseFormat = { type: 'json-schema', schema: config.responseJsonSchema };
    else if (isJsonObject(config.responseSchema)) request.responseFormat = { type: 'json-schema', schema: convertGeminiSchemaToJsonSchema(config.responseSchema) };
    else dropped.drop(joinPath(path, 'responseMimeType'), 'JSON output without a schema is not supported by translation');
  }
  if (config.thinkingConfig !== undefined && config.thinkingConfig !== null) {
    const thinking = expectObject(config.thinkingConfig, joinPath(path, 'thinkingConfig'));
    const budget = optionalNumber(thinking.thinkingBudget, joinPath(path, 'thinkingConfig.thinkingBudget'));
    const level = optionalString(thinking.thinkingLevel, joinPath(path, 'thinkingConfig.thinkingLevel'))?.toLowerCase();
    if (budget !== undefined) {
      request.reasoning = budget === 0 ? { mode: 'disabled' } : budget < 0 ? { mode: 'adaptive' } : { mode: 'enabled', budgetTokens: Math.round(budget) };
    } else if (level !== undefined && level !== 'thinking_level_unspecified') {
      const effort = EFFORT_FOR_LEVEL[level];
      if (effort === undefined) throw invalidField(joinPath(path, 'thinkingConfig.thinkingLevel'), "Input should be 'minimal', 'low', 'medium' or 'high'");
      request.reasoning = { mode: 'adaptive' };
      request.effort = effort;
    } else if (thinking.includeThoughts === true) {
      request.reasoning = { mode: 'adaptive' };
    }
  }
  for (const field of DROPPED_GENERATION_FIELDS) {
    if (config[field] !== undefined && config[field] !== null && !(field === 'candidateCount' && config[field] === 1)) {
      dropped.drop(joinPath(path, field), 'not supported by translation');
    }
  }
}
