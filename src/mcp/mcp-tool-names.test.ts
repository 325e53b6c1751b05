import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregatedName, sanitizeToolName } from './mcp-tool-names.js';

const CLAUDE_CODE_TOOL_NAME = /^[a-zA-Z0-9_-]+$/;

describe('aggregated tool names', () => {
  it('prefixes namespaced tools with the upstream and two underscores', () => {
    assert.equal(aggregatedName('everything', 'echo', true, 64), 'everything__echo');
    assert.equal(aggregatedName('everything', 'echo', false, 64), 'echo');
  });

  it('replaces characters Claude Code and the model APIs refuse', () => {
    const name = aggregatedName('fs', 'read file.v2/latest', true, 64);
    assert.equal(name, 'fs__read_file_v2_latest');
    assert.match(name, CLAUDE_CODE_TOOL_NAME);
  });

  it('shortens long names to the limit with a hash that keeps distinct names distinct', () => {
    const first = aggregatedName('upstream', `${'x'.repeat(80)}-one`, true, 64);
    const second = aggregatedName('upstream', `${'x'.repeat(80)}-two`, true, 64);
    assert.equal(first.length, 64);
    assert.equal(second.length, 64);
    assert.notEqual(first, second);
    assert.match(first, CLAUDE_CODE_TOOL_NAME);
    assert.ok(first.startsWith('upstream__xxx'));
  });

  it('keeps names at the limit unchanged and never returns an empty name', () => {
    const exact = 'a'.repeat(64);
    assert.equal(sanitizeToolName(exact, 64), exact);
    assert.equal(sanitizeToolName('', 64), '_');
  });
});
