import type { ServerResponse } from 'node:http';
import { scriptedClaudeCodeHandler } from './claude-code-mock.js';
import { geminiChunk, geminiFinalChunk, writeGeminiSse, writeGoogleJson, type GoogleRecordedRequest, type MockGoogleHandler } from './mock-google.js';
import { splitIntoPieces } from './text-pieces.js';

/**
 * A scripted model on the mock Google upstreams for driving the real Claude Code through one
 * tool-using turn (ask for a `Write`, then finish with a text once the result is back):
 *
 * - Gemini models (`publishers/google`, Gemini API): the last user turn carries a
 *   `functionResponse` → `finalText`; the request declares `Write` → a thought, then a `Write`
 *   call with a thought signature — sent whole (`arguments: "whole"`, as the Gemini API does) or
 *   with Vertex's streamed arguments, `partialArgs` pieces of `argumentPieceLength` characters
 *   (`arguments: "partial"`); anything else → `sideText` (as `{"title": sideText}` when JSON output
 *   is asked for). `countTokens` → 42.
 * - Claude on Vertex (`publishers/anthropic`): Anthropic Messages, answered by the Anthropic
 *   script of `claude-code-mock.ts`; `count-tokens:rawPredict` → 42.
 */
export interface ScriptedGeminiModel {
  filePath: string;
  fileContent: string;
  finalText: string;
  sideText?: string;
  /** How the `Write` call's arguments are sent. */
  arguments: 'whole' | 'partial';
  argumentPieceLength?: number;
  /** The thought signature put on the `Write` call. */
  thoughtSignature: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether the last user content of a Gemini request carries a `functionResponse`. */
export function geminiRequestEndsWithFunctionResponse(request: GoogleRecordedRequest): boolean {
  const contents = isRecord(request.json) && Array.isArray(request.json.contents) ? request.json.contents.filter(isRecord) : [];
  const last = contents[contents.length - 1];
  return last !== undefined && last.role === 'user' && Array.isArray(last.parts) && last.parts.some((part) => isRecord(part) && part.functionResponse !== undefined);
}

function declaresWrite(request: GoogleRecordedRequest): boolean {
  const tools = isRecord(request.json) && Array.isArray(request.json.tools) ? request.json.tools.filter(isRecord) : [];
  return tools.some((tool) => Array.isArray(tool.functionDeclarations) && tool.functionDeclarations.some((declaration) => isRecord(declaration) && declaration.name === 'Write'));
}

function wantsJson(request: GoogleRecordedRequest): boolean {
  return isRecord(request.json) && isRecord(request.json.generationConfig) && request.json.generationConfig.responseMimeType === 'application/json';
}

function writeCallChunks(script: ScriptedGeminiModel): unknown[] {
  const usage = { prompt: 900, candidates: 40, thoughts: 12 };
  const thought = geminiChunk([{ text: 'The user wants a file; I will use Write.', thought: true }]);
  if (script.arguments === 'whole') {
    return [
      thought,
      geminiChunk([{ functionCall: { name: 'Write', args: { file_path: script.filePath, content: script.fileContent } }, thoughtSignature: script.thoughtSignature }]),
      geminiFinalChunk([{ text: '' }], usage),
    ];
  }
  const pieceLength = script.argumentPieceLength ?? 5;
  const chunks: unknown[] = [thought, geminiChunk([{ functionCall: { name: 'Write', willContinue: true }, thoughtSignature: script.thoughtSignature }])];
  for (const [jsonPath, value] of [
    ['$.file_path', script.filePath],
    ['$.content', script.fileContent],
  ] as const) {
    for (const piece of splitIntoPieces(value, pieceLength)) {
      chunks.push(geminiChunk([{ functionCall: { partialArgs: [{ jsonPath, stringValue: piece, willContinue: true }], willContinue: true } }]));
    }
    chunks.push(geminiChunk([{ functionCall: { partialArgs: [{ jsonPath, stringValue: '' }], willContinue: true } }]));
  }
  chunks.push(geminiFinalChunk([{ functionCall: {} }], usage));
  return chunks;
}

/** The mock-Google handler playing `script`. */
export function scriptedGeminiHandler(script: ScriptedGeminiModel): MockGoogleHandler {
  const anthropic = scriptedClaudeCodeHandler({ format: 'anthropic', filePath: script.filePath, fileContent: script.fileContent, finalText: script.finalText, sideText: script.sideText });
  return async (request: GoogleRecordedRequest, response: ServerResponse) => {
    if (request.publisher === 'anthropic') {
      if (request.model === 'count-tokens') {
        writeGoogleJson(response, { input_tokens: 42 });
        return;
      }
      const body = isRecord(request.json) ? { ...request.json, model: request.model, stream: request.rpc === 'streamRawPredict' || request.json.stream === true } : request.json;
      await anthropic({ ...request, url: '/v1/messages', json: body }, response);
      return;
    }
    if (request.rpc === 'countTokens') {
      writeGoogleJson(response, { totalTokens: 42 });
      return;
    }
    const stream = request.rpc === 'streamGenerateContent';
    let chunks: unknown[];
    if (geminiRequestEndsWithFunctionResponse(request)) {
      chunks = [geminiChunk([{ text: script.finalText.slice(0, 6) }]), geminiFinalChunk([{ text: script.finalText.slice(6) }], { prompt: 1000, candidates: 8 })];
    } else if (declaresWrite(request)) {
      chunks = writeCallChunks(script);
    } else {
      const text = wantsJson(request) ? JSON.stringify({ title: script.sideText ?? 'Heimdall test' }) : (script.sideText ?? 'Heimdall test');
      chunks = [geminiFinalChunk([{ text }], { prompt: 50, candidates: 5 })];
    }
    if (stream) {
      writeGeminiSse(response, chunks);
      return;
    }
    // a non-streamed answer is the chunks folded: parts concatenated, the last chunk's finish and usage
    const parts = chunks.flatMap((chunk) => {
      const candidate = (chunk as { candidates: Array<{ content: { parts: unknown[] } }> }).candidates[0];
      return candidate.content.parts;
    });
    const last = chunks[chunks.length - 1] as Record<string, unknown>;
    writeGoogleJson(response, { ...last, candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }] });
  };
}
