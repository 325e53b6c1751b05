/**
 * A stdio MCP server with the tools, resources and prompts the MCP conformance suite's server
 * scenarios call by name (`test_simple_text`, `test://static-text`, `test_simple_prompt`, …),
 * written from the scenarios' published requirements. The conformance tests put it behind the
 * gateway (`namespace: false`) so the suite exercises Heimdall's aggregation and forwarding:
 * content types, errors, progress, logging, sampling and elicitation relayed across the gateway.
 *
 * Run: `node --import tsx src/testing/mcp-conformance-fixture-server.ts`.
 * @see https://github.com/modelcontextprotocol/conformance
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ErrorCode,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';

/** A 1×1 red PNG. */
const RED_PIXEL_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
/** A minimal WAV file (44-byte header, 2 samples of silence). */
const SILENT_WAV = Buffer.concat([
  Buffer.from('RIFF'),
  Buffer.from([40, 0, 0, 0]),
  Buffer.from('WAVEfmt '),
  Buffer.from([16, 0, 0, 0, 1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0]),
  Buffer.from('data'),
  Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]),
]).toString('base64');

const NO_ARGUMENTS = { type: 'object', properties: {} } as const;

const tools: Tool[] = [
  { name: 'test_simple_text', description: 'Returns simple text', inputSchema: NO_ARGUMENTS },
  { name: 'test_image_content', description: 'Returns an image', inputSchema: NO_ARGUMENTS },
  { name: 'test_audio_content', description: 'Returns audio', inputSchema: NO_ARGUMENTS },
  { name: 'test_embedded_resource', description: 'Returns an embedded resource', inputSchema: NO_ARGUMENTS },
  { name: 'test_multiple_content_types', description: 'Returns text, an image and a resource', inputSchema: NO_ARGUMENTS },
  { name: 'test_tool_with_logging', description: 'Sends three log messages while running', inputSchema: NO_ARGUMENTS },
  { name: 'test_tool_with_progress', description: 'Reports progress 0, 50, 100 of 100', inputSchema: NO_ARGUMENTS },
  { name: 'test_error_handling', description: 'Always fails', inputSchema: NO_ARGUMENTS },
  {
    name: 'test_sampling',
    description: 'Asks the client for an LLM completion',
    inputSchema: { type: 'object', properties: { prompt: { type: 'string', description: 'The prompt to send' } }, required: ['prompt'] },
  },
  {
    name: 'test_elicitation',
    description: 'Asks the user for input',
    inputSchema: { type: 'object', properties: { message: { type: 'string', description: 'The message to show' } }, required: ['message'] },
  },
  { name: 'test_elicitation_sep1034_defaults', description: 'Elicitation with default values (SEP-1034)', inputSchema: NO_ARGUMENTS },
  { name: 'test_elicitation_sep1330_enums', description: 'Elicitation with every enum variant (SEP-1330)', inputSchema: NO_ARGUMENTS },
  {
    name: 'json_schema_2020_12_tool',
    description: 'Tool with JSON Schema 2020-12 features',
    inputSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      $defs: { address: { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
      properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' } },
      additionalProperties: false,
    },
  },
];

const server = new Server(
  { name: 'heimdall-conformance-fixture', version: '1.0.0' },
  { capabilities: { tools: {}, resources: { subscribe: true }, prompts: {}, logging: {}, completions: {} } },
);

const pause = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });

server.setRequestHandler(ListToolsRequestSchema, () => ({ tools }));

server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
  const argumentsGiven = request.params.arguments ?? {};
  switch (request.params.name) {
    case 'test_simple_text':
      return text('This is a simple text response for testing.');
    case 'test_image_content':
      return { content: [{ type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' }] };
    case 'test_audio_content':
      return { content: [{ type: 'audio', data: SILENT_WAV, mimeType: 'audio/wav' }] };
    case 'test_embedded_resource':
      return { content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }] };
    case 'test_multiple_content_types':
      return {
        content: [
          { type: 'text', text: 'Multiple content types test:' },
          { type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' },
          { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) } },
        ],
      };
    case 'test_tool_with_logging': {
      for (const [position, message] of ['Tool execution started', 'Tool processing data', 'Tool execution completed'].entries()) {
        if (position > 0) await pause(50);
        await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: message } });
      }
      return text('Tool with logging executed successfully');
    }
    case 'test_tool_with_progress': {
      const progressToken = request.params._meta?.progressToken;
      for (const progress of [0, 50, 100]) {
        if (progress > 0) await pause(50);
        if (progressToken !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, total: 100 } });
      }
      return text('Tool with progress executed successfully');
    }
    case 'test_error_handling':
      return { isError: true, content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }] };
    case 'test_sampling': {
      const result = await server.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: String(argumentsGiven.prompt ?? '') } }], maxTokens: 100 });
      const content = Array.isArray(result.content) ? result.content[0] : result.content;
      return text(`LLM response: ${content?.type === 'text' ? content.text : JSON.stringify(content)}`);
    }
    case 'test_elicitation': {
      const result = await server.elicitInput({
        message: String(argumentsGiven.message ?? ''),
        requestedSchema: {
          type: 'object',
          properties: { username: { type: 'string', description: "User's response" }, email: { type: 'string', description: "User's email address" } },
          required: ['username', 'email'],
        },
      });
      return text(`User response: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
    }
    case 'test_elicitation_sep1034_defaults': {
      const result = await server.elicitInput({
        message: 'Please review and update the form fields with defaults',
        requestedSchema: {
          type: 'object',
          properties: {
            name: { type: 'string', description: 'User name', default: 'John Doe' },
            age: { type: 'integer', description: 'User age', default: 30 },
            score: { type: 'number', description: 'User score', default: 95.5 },
            status: { type: 'string', description: 'User status', enum: ['active', 'inactive', 'pending'], default: 'active' },
            verified: { type: 'boolean', description: 'Verification status', default: true },
          },
          required: [],
        },
      });
      return text(`Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
    }
    case 'test_elicitation_sep1330_enums': {
      const result = await server.elicitInput({
        message: 'Please select options from the enum fields',
        requestedSchema: {
          type: 'object',
          properties: {
            untitledSingle: { type: 'string', description: 'Untitled single-select', enum: ['option1', 'option2', 'option3'] },
            titledSingle: {
              type: 'string',
              description: 'Titled single-select',
              oneOf: [
                { const: 'value1', title: 'First Option' },
                { const: 'value2', title: 'Second Option' },
                { const: 'value3', title: 'Third Option' },
              ],
            },
            legacyEnum: { type: 'string', description: 'Legacy titled enum', enum: ['opt1', 'opt2', 'opt3'], enumNames: ['Option One', 'Option Two', 'Option Three'] },
            untitledMulti: { type: 'array', description: 'Untitled multi-select', items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
            titledMulti: {
              type: 'array',
              description: 'Titled multi-select',
              items: {
                anyOf: [
                  { const: 'value1', title: 'First Choice' },
                  { const: 'value2', title: 'Second Choice' },
                  { const: 'value3', title: 'Third Choice' },
                ],
              },
            },
          },
          required: [],
        },
      });
      return text(`Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
    }
    case 'json_schema_2020_12_tool':
      return text(`Received: ${JSON.stringify(argumentsGiven)}`);
    default:
      throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
  }
});

server.setRequestHandler(ListResourcesRequestSchema, () => ({
  resources: [
    { uri: 'test://static-text', name: 'Static text', description: 'A static text resource', mimeType: 'text/plain' },
    { uri: 'test://static-binary', name: 'Static binary', description: 'A static PNG', mimeType: 'image/png' },
    { uri: 'test://watched-resource', name: 'Watched resource', description: 'A resource to subscribe to', mimeType: 'text/plain' },
  ],
}));

server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
  resourceTemplates: [{ uriTemplate: 'test://template/{id}/data', name: 'Template data', description: 'Data for an id', mimeType: 'application/json' }],
}));

server.setRequestHandler(ReadResourceRequestSchema, (request) => {
  const uri = request.params.uri;
  if (uri === 'test://static-text') return { contents: [{ uri, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }] };
  if (uri === 'test://static-binary') return { contents: [{ uri, mimeType: 'image/png', blob: RED_PIXEL_PNG }] };
  if (uri === 'test://watched-resource') return { contents: [{ uri, mimeType: 'text/plain', text: 'Watched resource content' }] };
  const templated = /^test:\/\/template\/([^/]+)\/data$/.exec(uri);
  if (templated !== null) {
    const id = templated[1];
    return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }] };
  }
  throw new McpError(ErrorCode.InvalidParams, `Resource ${uri} not found`);
});

server.setRequestHandler(SubscribeRequestSchema, () => ({}));
server.setRequestHandler(UnsubscribeRequestSchema, () => ({}));

server.setRequestHandler(ListPromptsRequestSchema, () => ({
  prompts: [
    { name: 'test_simple_prompt', description: 'A simple prompt without arguments' },
    {
      name: 'test_prompt_with_arguments',
      description: 'A prompt with two arguments',
      arguments: [
        { name: 'arg1', description: 'First test argument', required: true },
        { name: 'arg2', description: 'Second test argument', required: true },
      ],
    },
    {
      name: 'test_prompt_with_embedded_resource',
      description: 'A prompt embedding a resource',
      arguments: [{ name: 'resourceUri', description: 'URI of the resource to embed', required: true }],
    },
    { name: 'test_prompt_with_image', description: 'A prompt with an image' },
  ],
}));

server.setRequestHandler(GetPromptRequestSchema, (request) => {
  const argumentsGiven = request.params.arguments ?? {};
  switch (request.params.name) {
    case 'test_simple_prompt':
      return { messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }] };
    case 'test_prompt_with_arguments':
      return {
        messages: [{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${argumentsGiven.arg1 ?? ''}', arg2='${argumentsGiven.arg2 ?? ''}'` } }],
      };
    case 'test_prompt_with_embedded_resource':
      return {
        messages: [
          {
            role: 'user',
            content: { type: 'resource', resource: { uri: argumentsGiven.resourceUri ?? 'test://example', mimeType: 'text/plain', text: 'Embedded resource content for testing.' } },
          },
          { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
        ],
      };
    case 'test_prompt_with_image':
      return {
        messages: [
          { role: 'user', content: { type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' } },
          { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
        ],
      };
    default:
      throw new McpError(ErrorCode.InvalidParams, `Prompt ${request.params.name} not found`);
  }
});

server.setRequestHandler(CompleteRequestSchema, (request) => {
  const prefix = request.params.argument.value;
  const values = ['paris', 'park', 'party'].filter((value) => value.startsWith(prefix));
  return { completion: { values, total: values.length, hasMore: false } };
});

await server.connect(new StdioServerTransport());
