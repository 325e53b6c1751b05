import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prettyJson, readConversation } from '../../dashboard/src/conversation.js';

describe('dashboard conversation reader', () => {
  it('reads system, messages with thinking, tool calls and results, and the answer', () => {
    const request = {
      model: 'claude-sonnet-4-5',
      system: [{ type: 'text', text: 'Be brief.' }],
      tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'use the tool' }, { type: 'tool_use', id: 't1', name: 'get_weather', input: { city: 'Oslo' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', is_error: true, content: [{ type: 'text', text: 'timeout' }] }] },
      ],
    };
    const answer = { role: 'assistant', content: [{ type: 'redacted_thinking', data: 'x' }, { type: 'text', text: 'Cold.' }] };
    const conversation = readConversation(JSON.stringify(request), answer);
    assert.ok(conversation !== undefined);
    assert.equal(conversation.model, 'claude-sonnet-4-5');
    assert.deepEqual(conversation.tools, ['get_weather']);
    assert.deepEqual(
      conversation.turns.map((turn) => [turn.role, turn.answer, turn.blocks.map((block) => block.kind)]),
      [
        ['system', false, ['text']],
        ['user', false, ['text']],
        ['assistant', false, ['thinking', 'tool_use']],
        ['user', false, ['tool_result']],
        ['assistant', true, ['redacted_thinking', 'text']],
      ],
    );
    assert.deepEqual(conversation.turns[3]?.blocks[0], { kind: 'tool_result', toolUseId: 't1', isError: true, content: [{ kind: 'text', text: 'timeout' }] });
  });

  it('keeps unknown blocks as JSON and answers undefined without content', () => {
    const conversation = readConversation(JSON.stringify({ messages: [{ role: 'user', content: [{ type: 'container_upload', file_id: 'f' }] }] }), undefined);
    assert.equal(conversation?.turns[0]?.blocks[0]?.kind, 'other');
    assert.equal(readConversation(undefined, undefined), undefined);
    assert.equal(readConversation('not json', undefined), undefined);
    assert.equal(prettyJson('{"a":1}'), '{\n  "a": 1\n}');
    assert.equal(prettyJson('plain'), 'plain');
  });
});
