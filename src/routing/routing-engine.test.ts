import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildGatewaySettings } from '../config/gateway-settings.js';
import { ConfigError } from '../config/load-config.js';
import { GatewayError } from '../core/errors.js';
import { seededRandom } from '../testing/seeded-random.js';
import { completeRoutingContext, type RoutingContext } from './routing-context.js';
import { RoutingEngine } from './routing-engine.js';
import { InvalidRoutingRuleError, type RoutingRuleInput } from './routing-rule.js';

const providers = buildGatewaySettings(
  {
    providers: {
      anthropic: { keys: [{ value: 'sk-ant' }] },
      openai: { keys: [{ name: 'openai-main', value: 'sk-1' }, { name: 'openai-backup', value: 'sk-2' }] },
      groq: { keys: [{ value: 'gsk' }], models: ['llama-3.3-70b'] },
    },
  },
  {},
).providers;

function engineWith(rules: RoutingRuleInput[], aliases: Record<string, string> = {}): RoutingEngine {
  const engine = new RoutingEngine(providers);
  engine.setAliases(aliases);
  engine.replaceRules(rules);
  return engine;
}

function rule(name: string, expression: string, model: string, extra: Partial<RoutingRuleInput> = {}): RoutingRuleInput {
  return { name, expression, targets: [{ provider: 'openai', model }], ...extra };
}

const team = { id: 'team-1', name: 'research' };
const customer = { id: 'cust-1', name: 'Acme' };
const virtualKey = { id: 'vk-1', name: 'ci' };

describe('RoutingEngine.route', () => {
  it('sends a matching request to the rule target and says which rule matched', () => {
    const engine = engineWith([rule('cc-sonnet', 'model == "sonnet-model" && headers["user-agent"].startsWith("claude-cli")', 'gpt-5')]);
    const decision = engine.route(completeRoutingContext({ model: 'sonnet-model', headers: { 'User-Agent': 'claude-cli/2.1.197' } }));
    assert.equal(decision.routeName, 'cc-sonnet');
    assert.equal(decision.source, 'rule');
    assert.deepEqual(decision.target, { provider: 'openai', model: 'gpt-5' });
    assert.deepEqual(decision.rule, { name: 'cc-sonnet', scope: { type: 'global' }, priority: 0 });
  });

  it('leaves the request\'s own model when no rule matches', () => {
    const engine = engineWith([rule('never', 'model == "x"', 'gpt-5')]);
    const decision = engine.route(completeRoutingContext({ model: 'groq/llama-3.3-70b' }));
    assert.equal(decision.routeName, 'default');
    assert.equal(decision.source, 'default');
    assert.deepEqual(decision.target, { provider: 'groq', model: 'llama-3.3-70b' });
    assert.throws(() => engine.route(completeRoutingContext({ model: 'sonnet-model' })), (error: unknown) => error instanceof GatewayError && error.status === 400);
  });

  it('evaluates virtual key rules, then team, customer and global ones; lower priority first within a scope', () => {
    const engine = engineWith([
      rule('global-late', 'true', 'global-late', { priority: 5 }),
      rule('global-early', 'true', 'global-early', { priority: 1 }),
      rule('customer', 'true', 'customer', { scope: { type: 'customer', id: 'cust-1' } }),
      rule('team', 'true', 'team', { scope: { type: 'team', id: 'team-1' } }),
      rule('vk', 'true', 'vk', { scope: { type: 'virtual_key', id: 'vk-1' } }),
      rule('other-team', 'true', 'other-team', { scope: { type: 'team', id: 'team-2' }, priority: -100 }),
    ]);
    const route = (context: Partial<RoutingContext>): string => engine.route(completeRoutingContext({ model: 'm', ...context })).routeName;
    assert.equal(route({ virtual_key: virtualKey, team, customer }), 'vk');
    assert.equal(route({ team, customer }), 'team');
    assert.equal(route({ customer }), 'customer');
    assert.equal(route({}), 'global-early');
    assert.equal(route({ team: { id: 'team-3', name: 'x' } }), 'global-early', 'rules of other teams never apply');
  });

  it('names a scope by id or by name (config rules cannot know the ids the store generates), keeping priority order across both', () => {
    const engine = engineWith([
      rule('by-name-late', 'model == "other"', 'by-name-late', { scope: { type: 'team', id: 'research' }, priority: 5 }),
      rule('by-id', 'model == "m"', 'by-id', { scope: { type: 'team', id: 'team-1' }, priority: 3 }),
      rule('by-name-early', 'model == "early"', 'by-name-early', { scope: { type: 'team', id: 'research' }, priority: 1 }),
      rule('key-by-name', 'model == "k"', 'key-by-name', { scope: { type: 'virtual_key', id: 'ci' } }),
      rule('customer-by-name', 'model == "c"', 'customer-by-name', { scope: { type: 'customer', id: 'Acme' } }),
    ]);
    const route = (model: string, context: Partial<RoutingContext> = { virtual_key: virtualKey, team, customer }): string =>
      engine.route(completeRoutingContext({ model, ...context })).routeName;
    assert.equal(route('early'), 'by-name-early');
    assert.equal(route('m'), 'by-id', 'priority 3 by id before priority 5 by name');
    assert.equal(route('other'), 'by-name-late');
    assert.equal(route('k'), 'key-by-name');
    assert.equal(route('c'), 'customer-by-name');
    assert.throws(() => route('k', { team: { id: 'team-2', name: 'other' } }), GatewayError, 'another key\'s and team\'s rules do not apply');
    const explained = engine.explainRoute(completeRoutingContext({ model: 'early', virtual_key: virtualKey, team, customer }));
    assert.equal(explained.decision?.routeName, 'by-name-early');
    assert.ok(explained.evaluations.every((evaluation) => evaluation.outcome !== 'out-of-scope'), 'every rule names this caller');
  });

  it('skips rules whose evaluation fails (a missing header) and disabled rules; the first match wins', () => {
    const engine = engineWith([
      rule('needs-header', 'headers["x-route"] == "fast"', 'fast', { priority: 1 }),
      rule('disabled', 'true', 'disabled', { priority: 2, enabled: false }),
      rule('first', 'model == "m"', 'first', { priority: 3 }),
      rule('second', 'model == "m"', 'second', { priority: 4 }),
    ]);
    assert.equal(engine.route(completeRoutingContext({ model: 'm' })).routeName, 'first');
    assert.equal(engine.route(completeRoutingContext({ model: 'm', headers: { 'X-Route': 'fast' } })).routeName, 'needs-header');
  });

  it('splits traffic among a rule\'s targets by weight (seeded, 20,000 draws, ± 0.02)', () => {
    const engine = engineWith([
      {
        name: 'split',
        expression: 'true',
        targets: [
          { provider: 'openai', model: 'gpt-5', weight: 3 },
          { provider: 'groq', model: 'llama-3.3-70b', weight: 1 },
        ],
      },
    ]);
    const random = seededRandom(1234);
    let openai = 0;
    const draws = 20_000;
    for (let draw = 0; draw < draws; draw += 1) {
      if (engine.route(completeRoutingContext({ model: 'anything' }), { random }).target.provider === 'openai') openai += 1;
    }
    assert.ok(Math.abs(openai / draws - 0.75) < 0.02, `openai share ${openai / draws} should be 0.75 ± 0.02`);
  });

  it('rewrites made-up model names with static aliases, and rules see the name as sent', () => {
    const engine = engineWith([rule('haiku-to-groq', 'model == "haiku-model"', 'unused', { targets: [{ provider: 'groq', model: 'llama-3.3-70b' }] })], {
      'sonnet-model': 'openai/gpt-5',
      'haiku-model': 'openai/gpt-5-mini',
    });
    const aliased = engine.route(completeRoutingContext({ model: 'sonnet-model' }));
    assert.equal(aliased.source, 'alias');
    assert.equal(aliased.alias, 'sonnet-model');
    assert.equal(aliased.routeName, 'default');
    assert.deepEqual(aliased.target, { provider: 'openai', model: 'gpt-5' });
    assert.deepEqual(engine.route(completeRoutingContext({ model: 'haiku-model' })).target, { provider: 'groq', model: 'llama-3.3-70b' }, 'a rule wins over an alias');
    assert.equal(engine.providerOf('sonnet-model'), 'openai');
  });

  it('chains the request\'s fallbacks before the rule\'s, resolved, without the target and repeats', () => {
    const engine = engineWith([rule('with-fallbacks', 'true', 'gpt-5', { fallbacks: ['groq/llama-3.3-70b', 'sonnet-model', 'openai/gpt-5'] })], { 'sonnet-model': 'anthropic/claude-sonnet-4-6' });
    const decision = engine.route(completeRoutingContext({ model: 'x' }), { requestFallbacks: ['claude-opus-4-8', 'groq/llama-3.3-70b'] });
    assert.deepEqual(decision.fallbacks, [
      { provider: 'anthropic', model: 'claude-opus-4-8' },
      { provider: 'groq', model: 'llama-3.3-70b' },
      { provider: 'anthropic', model: 'claude-sonnet-4-6' },
    ]);
  });

  it('appends the virtual key\'s fallbacks after the request\'s and the rule\'s, skipping one that no longer resolves', () => {
    const engine = engineWith([rule('with-fallbacks', 'model == "ruled"', 'gpt-5', { fallbacks: ['groq/llama-3.3-70b'] })]);
    const virtualKeyFallbacks = ['openai/gpt-5-mini', 'deleted-provider/model', 'groq/llama-3.3-70b'];
    const ruled = engine.route(completeRoutingContext({ model: 'ruled' }), { requestFallbacks: ['claude-opus-4-8'], virtualKeyFallbacks });
    assert.deepEqual(ruled.fallbacks, [
      { provider: 'anthropic', model: 'claude-opus-4-8' },
      { provider: 'groq', model: 'llama-3.3-70b' },
      { provider: 'openai', model: 'gpt-5-mini' },
    ]);
    // No rule matched: the request's own model, then the key's chain.
    const unruled = engine.route(completeRoutingContext({ model: 'openai/gpt-5' }), { virtualKeyFallbacks });
    assert.equal(unruled.routeName, 'default');
    assert.deepEqual(unruled.fallbacks, [
      { provider: 'openai', model: 'gpt-5-mini' },
      { provider: 'groq', model: 'llama-3.3-70b' },
    ]);
    // A request fallback that resolves to nothing is still the caller's error.
    assert.throws(() => engine.route(completeRoutingContext({ model: 'ruled' }), { requestFallbacks: ['nowhere/x'], virtualKeyFallbacks }), GatewayError);
  });

  it('pins a target key', () => {
    const engine = engineWith([{ name: 'pinned', expression: 'true', targets: [{ provider: 'openai', model: 'gpt-5', key: 'openai-backup' }] }]);
    assert.deepEqual(engine.route(completeRoutingContext({ model: 'x' })).target, { provider: 'openai', model: 'gpt-5', keyId: 'openai-backup' });
  });
});

describe('RoutingEngine rule management', () => {
  it('validates a rule: the CEL error with its position, unknown providers and keys, unresolvable fallbacks', () => {
    const engine = engineWith([]);
    const result = engine.validateRule({
      name: 'broken',
      expression: 'model == "a" &&',
      targets: [
        { provider: 'nope', model: 'x' },
        { provider: 'openai', model: 'gpt-5', key: 'missing-key', weight: 0 },
      ],
      fallbacks: ['mystery-model'],
      scope: { type: 'team' },
    });
    assert.equal(result.valid, false);
    const problems = result.valid ? [] : result.problems;
    const fields = problems.map((problem) => problem.field).sort();
    assert.deepEqual(fields, ['expression', 'fallbacks.0', 'scope.id', 'targets.0.provider', 'targets.1.key', 'targets.1.weight']);
    const expression = problems.find((problem) => problem.field === 'expression');
    assert.match(expression?.message ?? '', /syntax error/);
    assert.equal(expression?.position?.line, 1);
    assert.ok(engine.validateRule(rule('fine', 'model == "a"', 'gpt-5')).valid);
  });

  it('upserts, replaces and removes rules without a restart (the next decision sees the change)', () => {
    const engine = engineWith([]);
    const context = completeRoutingContext({ model: 'm' });
    assert.throws(() => engine.route(context), GatewayError, 'nothing routes m yet');
    engine.upsertRule(rule('r', 'model == "m"', 'gpt-5'));
    assert.deepEqual(engine.route(context).target, { provider: 'openai', model: 'gpt-5' });
    engine.upsertRule(rule('r', 'model == "m"', 'gpt-5-mini'));
    assert.deepEqual(engine.route(context).target, { provider: 'openai', model: 'gpt-5-mini' });
    assert.equal(engine.listRules().length, 1);
    assert.throws(() => engine.upsertRule(rule('r', 'model ==', 'x')), (error: unknown) => error instanceof InvalidRoutingRuleError && error.problems[0].field === 'expression');
    assert.deepEqual(engine.route(context).target, { provider: 'openai', model: 'gpt-5-mini' }, 'a refused rule changes nothing');
    assert.equal(engine.removeRule('r'), true);
    assert.equal(engine.removeRule('r'), false);
    assert.throws(() => engine.route(context), GatewayError);
    assert.throws(() => engine.replaceRules([rule('a', 'true', 'x'), rule('a', 'true', 'y')]), InvalidRoutingRuleError);
  });

  it('refuses an alias that does not resolve or chains', () => {
    const engine = engineWith([]);
    assert.throws(() => engine.setAliases({ x: 'mystery/model' }), InvalidRoutingRuleError);
    assert.throws(() => engine.setAliases({ x: 'y', y: 'openai/gpt-5' }), /do not chain/);
    assert.deepEqual(engine.validateAliases({ 'sonnet-model': 'openai/gpt-5', 'bad name': 'openai/gpt-5', 'gone-model': 'mystery/model' }).map((problem) => problem.field), [
      'aliases.bad name',
      'aliases.gone-model',
    ]);
    assert.deepEqual(engine.listAliases(), {}, 'validating changes nothing');
  });
});

describe('RoutingEngine.explainRoute', () => {
  it('says which rule matched, in which scope, the target chosen, and how every rule fared', () => {
    const engine = engineWith([
      rule('header-rule', 'headers["x-route"] == "fast"', 'fast', { priority: 1 }),
      rule('no', 'model == "other"', 'no', { priority: 2 }),
      rule('team-rule', 'request_kind == "background"', 'cheap', { scope: { type: 'team', id: 'team-1' } }),
      rule('later', 'true', 'later', { priority: 9 }),
      rule('elsewhere', 'true', 'elsewhere', { scope: { type: 'customer', id: 'cust-9' } }),
    ]);
    const explanation = engine.explainRoute(completeRoutingContext({ model: 'm', team, request_kind: 'background' }));
    assert.equal(explanation.decision?.routeName, 'team-rule');
    assert.deepEqual(explanation.decision?.rule?.scope, { type: 'team', id: 'team-1' });
    assert.deepEqual(explanation.decision?.target, { provider: 'openai', model: 'cheap' });
    assert.deepEqual(
      explanation.evaluations.map((evaluation) => [evaluation.rule, evaluation.outcome]),
      [
        ['team-rule', 'matched'],
        ['header-rule', 'not-evaluated'],
        ['no', 'not-evaluated'],
        ['later', 'not-evaluated'],
        ['elsewhere', 'out-of-scope'],
      ],
    );
    const global = engine.explainRoute(completeRoutingContext({ model: 'm' }));
    assert.equal(global.decision?.routeName, 'later');
    assert.equal(global.evaluations.find((evaluation) => evaluation.rule === 'header-rule')?.outcome, 'error');
    assert.equal(global.evaluations.find((evaluation) => evaluation.rule === 'no')?.outcome, 'no-match');
  });

  it('reports an unresolvable model instead of throwing', () => {
    const explanation = engineWith([]).explainRoute(completeRoutingContext({ model: 'mystery' }));
    assert.equal(explanation.decision, undefined);
    assert.match(explanation.error ?? '', /unknown model 'mystery'/);
  });
});

describe('routing config', () => {
  it('loads rules and aliases from the config and names the field of a bad expression', () => {
    const settings = buildGatewaySettings(
      {
        providers: { openai: { keys: [{ value: 'sk' }] } },
        aliases: { 'sonnet-model': 'openai/gpt-5' },
        routing: { rules: [{ name: 'r', expression: 'model == "haiku-model"', targets: [{ provider: 'openai', model: 'gpt-5-mini' }] }] },
      },
      {},
    );
    assert.deepEqual(settings.routing?.engine.listAliases(), { 'sonnet-model': 'openai/gpt-5' });
    assert.equal(settings.routing?.engine.route(completeRoutingContext({ model: 'haiku-model' })).target.model, 'gpt-5-mini');
    assert.throws(
      () =>
        buildGatewaySettings(
          {
            providers: { openai: { keys: [{ value: 'sk' }] } },
            routing: { rules: [{ name: 'ok', expression: 'true', targets: [{ provider: 'openai', model: 'a' }] }, { name: 'bad', expression: 'model = "x"', targets: [{ provider: 'openai', model: 'a' }] }] },
          },
          {},
        ),
      (error: unknown) => error instanceof ConfigError && /^routing\.rules\.1\.expression: syntax error: .*\(line 1, column \d+\)$/.test(error.message),
    );
  });
});
