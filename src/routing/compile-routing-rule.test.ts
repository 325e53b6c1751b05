import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRoutingExpression, RoutingExpressionError } from './compile-routing-rule.js';
import { completeRoutingContext, type RoutingContext } from './routing-context.js';

const claudeCodeContext: RoutingContext = completeRoutingContext({
  model: 'sonnet-model',
  provider: 'openai',
  headers: { 'user-agent': 'claude-cli/2.1.197 (external, sdk-cli)', 'x-team': 'research' },
  params: { max_tokens: 32000, stream: true, thinking: { type: 'adaptive' }, metadata: { user_id: 'u-1' } },
  virtual_key: { id: 'vk-1', name: 'ci key' },
  team: { id: 'team-1', name: 'research' },
  customer: { id: 'cust-1', name: 'Acme' },
  budget_used: 85.5,
  tokens_used: 12,
  request_kind: 'background',
});

function outcome(expression: string, context: RoutingContext = claudeCodeContext): string {
  return compileRoutingExpression(expression).evaluate(context).kind;
}

function refusal(expression: string): RoutingExpressionError {
  try {
    compileRoutingExpression(expression);
  } catch (error) {
    assert.ok(error instanceof RoutingExpressionError, `expected a RoutingExpressionError, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected '${expression}' to be refused`);
}

describe('compileRoutingExpression', () => {
  it('evaluates the issue\'s user-agent rule', () => {
    assert.equal(outcome('model == "sonnet-model" && headers["user-agent"].startsWith("claude-cli")'), 'match');
    assert.equal(outcome('model == "sonnet-model" && headers["user-agent"].startsWith("curl")'), 'no-match');
  });

  it('reads every routing variable', () => {
    const matching: string[] = [
      'model == "sonnet-model"',
      'provider == "openai"',
      'headers["x-team"] == "research"',
      'params.max_tokens > 1000 && params.stream == true && params.thinking.type == "adaptive" && params.metadata.user_id == "u-1"',
      'params.max_tokens == 32000',
      'virtual_key.id == "vk-1" && virtual_key.name == "ci key"',
      'team.name == "research" && team.id == "team-1"',
      'customer.name == "Acme"',
      'budget_used > 80 && budget_used < 90.0',
      'tokens_used >= 12',
      'request_kind == "background"',
      'request_kind in ["background", "title"]',
      'model.matches("^sonnet-") && headers["user-agent"].lowerAscii().contains("claude")',
    ];
    for (const expression of matching) assert.equal(outcome(expression), 'match', expression);
  });

  it('matches header names whatever their case (keys are rewritten to lower case at compile time)', () => {
    assert.equal(outcome('headers["User-Agent"].startsWith("claude-cli")'), 'match');
    assert.equal(outcome('"X-Team" in headers'), 'match');
    assert.equal(outcome('has(headers.X_Missing)'), 'no-match');
  });

  it('treats a missing header as no match, not as an error that stops routing', () => {
    const missing = compileRoutingExpression('headers["x-absent"] == "yes"').evaluate(claudeCodeContext);
    assert.equal(missing.kind, 'error', 'the evaluation reports why');
    assert.equal(outcome('headers["x-absent"] == "yes" || model == "sonnet-model"'), 'match', 'CEL || absorbs the error of the other side');
    assert.equal(outcome('"x-absent" in headers'), 'no-match');
  });

  it('treats null governance fields as no match', () => {
    const anonymous = completeRoutingContext({ model: 'x' });
    assert.equal(outcome('team.name == "research"', anonymous), 'error');
    assert.equal(outcome('team == null && virtual_key == null && customer == null && budget_used == 0 && tokens_used == 0', anonymous), 'match');
  });

  it('does not match an expression that is not a bool', () => {
    const result = compileRoutingExpression('model').evaluate(claudeCodeContext);
    assert.equal(result.kind, 'error');
    assert.match(result.kind === 'error' ? result.message : '', /not a bool/);
  });

  it('refuses a syntax error with the CEL error and its position', () => {
    const error = refusal('model == "sonnet-model" &&& true');
    assert.match(error.message, /^syntax error: /);
    assert.deepEqual(error.position, { line: 1, column: 25, offset: 24 });
    assert.match(error.message, /\(line 1, column 25\)$/);
    const multiline = refusal('model == "a" &&\n  headers[');
    assert.equal(multiline.position?.line, 2);
  });

  it('refuses unknown variables and functions with their position', () => {
    const variable = refusal('model == "a" && modle == "b"');
    assert.match(variable.message, /unknown variable 'modle'/);
    assert.deepEqual(variable.position, { line: 1, column: 17, offset: 16 });
    const fn = refusal('model.startWith("a")');
    assert.match(fn.message, /unknown function 'startWith'/);
    assert.equal(fn.position?.line, 1);
  });

  it('allows comprehension variables', () => {
    assert.equal(outcome('["a", "sonnet-model"].exists(name, name == model)'), 'match');
    assert.equal(outcome('headers.exists(name, name.startsWith("x-"))'), 'match');
  });

  it('refuses an empty expression', () => {
    assert.match(refusal('  ').message, /empty/);
  });

  it('reports the variables an expression reads', () => {
    assert.deepEqual([...compileRoutingExpression('request_kind == "title" || headers["x"] == model').variables].sort(), ['headers', 'model', 'request_kind']);
  });
});
