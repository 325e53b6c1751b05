import type { ServerResponse } from 'node:http';
import { anthropicTextEvents, anthropicTextMessage, anthropicToolUseEvents } from './anthropic-sse.js';
import { scriptedTurnOf, type ScriptedTurn } from './claude-code-mock.js';
import { writeBedrockError, writeBedrockJson, writeConverseStream, writeInvokeStream, type BedrockRecordedRequest, type MockBedrockHandler } from './mock-bedrock.js';
import { splitIntoPieces } from './text-pieces.js';

/**
 * The scripted Claude Code model of `claude-code-mock.ts`, played by the mock Bedrock: a `Write`
 * of one file (arguments streamed in small pieces), then — once the tool result comes back — a
 * final text. InvokeModel requests (Anthropic bodies) get Anthropic events in `chunk` frames;
 * Converse requests get Converse events; CountTokens gets a small count.
 */
export interface ScriptedBedrockModel {
  filePath: string;
  fileContent: string;
  finalText: string;
  sideText?: string;
  argumentPieceLength?: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Classifies a Converse request: after a `toolResult`, offering `Write`, or anything else. */
export function converseTurnOf(request: BedrockRecordedRequest): ScriptedTurn {
  const json = request.json;
  if (!isRecord(json) || !Array.isArray(json.messages)) return 'side-request';
  const last = json.messages[json.messages.length - 1];
  if (isRecord(last) && last.role === 'user' && Array.isArray(last.content) && last.content.some((block) => isRecord(block) && block.toolResult !== undefined)) {
    return 'after-tool-result';
  }
  const tools = isRecord(json.toolConfig) && Array.isArray(json.toolConfig.tools) ? json.toolConfig.tools : [];
  const offersWrite = tools.some((tool) => isRecord(tool) && isRecord(tool.toolSpec) && tool.toolSpec.name === 'Write');
  return offersWrite ? 'write-tool-call' : 'side-request';
}

function sideText(script: ScriptedBedrockModel, request: BedrockRecordedRequest): string {
  const text = script.sideText ?? 'Heimdall test';
  const json = request.json;
  const format = isRecord(json) && isRecord(json.output_config) ? json.output_config.format : undefined;
  return isRecord(format) && format.type === 'json_schema' ? JSON.stringify({ title: text }) : text;
}

async function answerInvoke(script: ScriptedBedrockModel, request: BedrockRecordedRequest, response: ServerResponse, stream: boolean): Promise<void> {
  const model = request.modelId;
  const turn = scriptedTurnOf(request, 'anthropic');
  if (turn === 'write-tool-call') {
    const input = { file_path: script.filePath, content: script.fileContent };
    if (stream) {
      await writeInvokeStream(response, anthropicToolUseEvents({ model, toolName: 'Write', input, pieceLength: script.argumentPieceLength ?? 7 }));
    } else {
      writeBedrockJson(response, { ...anthropicTextMessage({ model, text: '' }), content: [{ type: 'tool_use', id: 'toolu_mock_0001', name: 'Write', input }], stop_reason: 'tool_use' });
    }
    return;
  }
  const text = turn === 'after-tool-result' ? script.finalText : sideText(script, request);
  if (stream) await writeInvokeStream(response, anthropicTextEvents({ model, text }));
  else writeBedrockJson(response, anthropicTextMessage({ model, text }));
}

function converseWriteEvents(script: ScriptedBedrockModel): unknown[] {
  const input = JSON.stringify({ file_path: script.filePath, content: script.fileContent });
  return [
    { messageStart: { role: 'assistant' } },
    { contentBlockStart: { contentBlockIndex: 0, start: { toolUse: { toolUseId: 'tooluse_mock_write_1', name: 'Write' } } } },
    ...splitIntoPieces(input, script.argumentPieceLength ?? 7).map((piece) => ({ contentBlockDelta: { contentBlockIndex: 0, delta: { toolUse: { input: piece } } } })),
    { contentBlockStop: { contentBlockIndex: 0 } },
    { messageStop: { stopReason: 'tool_use' } },
    { metadata: { usage: { inputTokens: 120, outputTokens: 30, totalTokens: 150 }, metrics: { latencyMs: 5 } } },
  ];
}

function converseTextEvents(text: string): unknown[] {
  return [
    { messageStart: { role: 'assistant' } },
    ...splitIntoPieces(text, 8).map((piece) => ({ contentBlockDelta: { contentBlockIndex: 0, delta: { text: piece } } })),
    { contentBlockStop: { contentBlockIndex: 0 } },
    { messageStop: { stopReason: 'end_turn' } },
    { metadata: { usage: { inputTokens: 120, outputTokens: 10, totalTokens: 130 }, metrics: { latencyMs: 5 } } },
  ];
}

async function answerConverse(script: ScriptedBedrockModel, request: BedrockRecordedRequest, response: ServerResponse, stream: boolean): Promise<void> {
  const turn = converseTurnOf(request);
  if (turn === 'write-tool-call') {
    if (stream) {
      await writeConverseStream(response, converseWriteEvents(script));
      return;
    }
    writeBedrockJson(response, {
      output: { message: { role: 'assistant', content: [{ toolUse: { toolUseId: 'tooluse_mock_write_1', name: 'Write', input: { file_path: script.filePath, content: script.fileContent } } }] } },
      stopReason: 'tool_use',
      usage: { inputTokens: 120, outputTokens: 30, totalTokens: 150 },
    });
    return;
  }
  const text = turn === 'after-tool-result' ? script.finalText : (script.sideText ?? 'Heimdall test');
  if (stream) {
    await writeConverseStream(response, converseTextEvents(text));
    return;
  }
  writeBedrockJson(response, { output: { message: { role: 'assistant', content: [{ text }] } }, stopReason: 'end_turn', usage: { inputTokens: 120, outputTokens: 10, totalTokens: 130 } });
}

/** The mock-Bedrock handler playing `script`. */
export function scriptedBedrockHandler(script: ScriptedBedrockModel): MockBedrockHandler {
  return async (request, response) => {
    switch (request.operation) {
      case 'invoke':
        return answerInvoke(script, request, response, false);
      case 'invoke-with-response-stream':
        return answerInvoke(script, request, response, true);
      case 'converse':
        return answerConverse(script, request, response, false);
      case 'converse-stream':
        return answerConverse(script, request, response, true);
      case 'count-tokens':
        writeBedrockJson(response, { inputTokens: 42 });
        return;
      default:
        writeBedrockError(response, 404, 'UnknownOperationException', `mock Bedrock has no operation ${request.operation}`);
    }
  };
}
