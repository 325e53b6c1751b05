import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readSharedFixture, skipWithoutSharedFixtures } from '../testing/fixtures.js';
import { classifyClaudeCodeRequest, isClaudeCodeRequest } from './classify-claude-code-request.js';

type Body = Record<string, unknown>;

function fixtureBody(name: string): Body {
  return JSON.parse(readSharedFixture(`claude-code/${name}`)) as Body;
}

function fixtureHeaders(): Record<string, string> {
  return JSON.parse(readSharedFixture('claude-code/request-headers.json')) as Record<string, string>;
}

/** A deep copy, to derive variants without touching the fixture objects. */
function copy(body: Body): Body {
  return structuredClone(body);
}

const skip = skipWithoutSharedFixtures();

describe('classifyClaudeCodeRequest over real Claude Code requests', { skip }, () => {
  it('a main turn: the first turn and the turn after a tool result', () => {
    assert.equal(classifyClaudeCodeRequest(fixtureBody('messages-first-turn.json'), fixtureHeaders()), 'main');
    assert.equal(classifyClaudeCodeRequest(fixtureBody('messages-after-tool-result.json'), fixtureHeaders()), 'main');
  });

  it('title generation: no tools, output_config.format a JSON schema with a title', () => {
    assert.equal(classifyClaudeCodeRequest(fixtureBody('messages-title.json'), fixtureHeaders()), 'title');
    const withoutSchema = copy(fixtureBody('messages-title.json'));
    delete withoutSchema.output_config;
    assert.equal(classifyClaudeCodeRequest(withoutSchema, fixtureHeaders()), 'title', 'the title system prompt alone is enough');
  });

  it('a sub-agent turn: the x-claude-code-agent-id header, or cc_is_subagent in the billing block', () => {
    const headers = { ...fixtureHeaders(), 'x-claude-code-agent-id': 'a1b2c3' };
    assert.equal(classifyClaudeCodeRequest(fixtureBody('messages-after-tool-result.json'), headers), 'subagent');
    const marked = copy(fixtureBody('messages-after-tool-result.json'));
    const system = marked.system as Array<{ type: string; text: string }>;
    system[0] = { type: 'text', text: `${system[0].text} cc_is_subagent=true;` };
    assert.equal(classifyClaudeCodeRequest(marked, fixtureHeaders()), 'subagent');
  });

  it('background (small fast model) calls: no tools and no title schema', () => {
    const background = copy(fixtureBody('messages-title.json'));
    delete background.output_config;
    background.system = [
      (background.system as unknown[])[0],
      { type: 'text', text: 'Your task is to process Bash commands that an AI coding agent wants to run.' },
    ];
    background.messages = [{ role: 'user', content: 'Command: git status' }];
    assert.equal(classifyClaudeCodeRequest(background, fixtureHeaders()), 'background');
    assert.equal(classifyClaudeCodeRequest(background, { ...fixtureHeaders(), 'x-claude-code-agent-id': 'a1' }), 'background', 'a sub-agent\'s side call is still background');
  });

  it('compaction: the summary prompt as the last user message, or the summariser system prompt', () => {
    const compaction = copy(fixtureBody('messages-after-tool-result.json'));
    (compaction.messages as unknown[]).push({ role: 'assistant', content: [{ type: 'text', text: 'Done.' }] });
    (compaction.messages as unknown[]).push({
      role: 'user',
      content: [{ type: 'text', text: "Your task is to create a detailed summary of the conversation so far, paying close attention to the user's explicit requests and your previous actions." }],
    });
    assert.equal(classifyClaudeCodeRequest(compaction, fixtureHeaders()), 'compaction');
    const summariser = copy(fixtureBody('messages-title.json'));
    delete summariser.output_config;
    summariser.system = [{ type: 'text', text: 'You are a helpful AI assistant tasked with summarizing conversations.' }];
    assert.equal(classifyClaudeCodeRequest(summariser, fixtureHeaders()), 'compaction');
  });

  it('other: requests that are not from Claude Code', () => {
    const body = { model: 'claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
    const sdkHeaders = { 'user-agent': 'Anthropic/JS 0.60.0', 'content-type': 'application/json' };
    assert.equal(isClaudeCodeRequest(body, sdkHeaders), false);
    assert.equal(classifyClaudeCodeRequest(body, sdkHeaders), 'other');
    const billingOnly = { ...fixtureBody('messages-first-turn.json') };
    assert.equal(classifyClaudeCodeRequest(billingOnly, {}), 'main', 'the billing system block alone identifies Claude Code');
  });
});
