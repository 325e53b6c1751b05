#!/usr/bin/env node
// Compares the CEL libraries considered for routing rules: compile (parse + plan) and evaluation
// time of typical rules, and the share of the cel-spec conformance suite each passes.
//
// Only @bufbuild/cel is a dependency. To run the comparison:
//   npm install --no-save @marcbachmann/cel-js@8 cel-js@0.8
//   node bench/compare-cel-libraries.mjs
// The numbers are recorded in docs/architecture.md (Routing → CEL library).
import { celEnv, isCelError, parse as bufParse, plan as bufPlan } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { tests as conformance } from '@bufbuild/cel-spec/testdata/conformance.js';

async function optional(name) {
  try {
    return await import(name);
  } catch {
    console.log(`(${name} is not installed: npm install --no-save ${name})`);
    return undefined;
  }
}

const marcbachmann = await optional('@marcbachmann/cel-js');
const celJs = await optional('cel-js');

const rules = {
  typical: 'model == "sonnet-model" && headers["user-agent"].startsWith("claude-cli")',
  governance: 'request_kind == "background" || (team.name == "research" && budget_used > 80.0) || model in ["a", "b", "c"]',
  simple: 'model == "sonnet-model" && provider == "openai"',
};
const context = {
  model: 'sonnet-model',
  provider: 'anthropic',
  headers: { 'user-agent': 'claude-cli/2.1.197 (external, sdk-cli)', 'x-app': 'cli' },
  request_kind: 'main',
  team: { id: 't1', name: 'research' },
  budget_used: 42.5,
  params: { max_tokens: 32000 },
};

/** Mean time of `run`, µs, after a warm-up. */
function timeMicroseconds(iterations, run) {
  for (let index = 0; index < Math.min(iterations, 2000); index += 1) run(index);
  const start = process.hrtime.bigint();
  for (let index = 0; index < iterations; index += 1) run(index);
  return Number(process.hrtime.bigint() - start) / iterations / 1000;
}

const environment = celEnv({ funcs: strings });
const libraries = [
  {
    name: '@bufbuild/cel',
    compile: (source) => bufPlan(environment, bufParse(source)),
    evaluate: (compiled) => compiled(context),
  },
  marcbachmann && {
    name: '@marcbachmann/cel-js',
    compile: (source) => marcbachmann.parse(source),
    evaluate: (compiled) => compiled(context),
  },
  celJs && {
    name: 'cel-js',
    compile: (source) => {
      const result = celJs.parse(source);
      if (!result.isSuccess) throw new Error('parse error');
      return result.cst;
    },
    evaluate: (compiled) => celJs.evaluate(compiled, context),
  },
].filter(Boolean);

const timings = [];
for (const library of libraries) {
  for (const [rule, source] of Object.entries(rules)) {
    let compiled;
    let result;
    try {
      compiled = library.compile(source);
      result = library.evaluate(compiled);
    } catch (error) {
      timings.push({ library: library.name, rule, error: String(error.message ?? error).split('\n')[0] });
      continue;
    }
    // A fresh expression each time, so that no parse cache hides the compile cost.
    const compileUs = timeMicroseconds(3000, (index) => library.compile(`${source} || model == "u${index}"`));
    const evaluateUs = timeMicroseconds(100_000, () => library.evaluate(compiled));
    timings.push({ library: library.name, rule, result: String(result), compileUs: compileUs.toFixed(1), evaluateUs: evaluateUs.toFixed(2) });
  }
}
console.table(timings);

// Conformance: the cel-spec "simple" tests without protobuf messages, bindings or containers, whose
// expected result is a scalar or an evaluation error.
function* walk(suite, path) {
  for (const test of suite.tests ?? []) yield [`${path}/${suite.name}`, test];
  for (const child of suite.suites ?? []) yield* walk(child, `${path}/${suite.name}`);
}
function expected(original) {
  if (original.evalError !== undefined) return { error: true };
  const value = original.value;
  if (value === undefined) return undefined;
  if ('boolValue' in value) return { exact: value.boolValue };
  if ('int64Value' in value) return { exact: BigInt(value.int64Value) };
  if ('uint64Value' in value) return { unsigned: BigInt(value.uint64Value) };
  if ('stringValue' in value) return { exact: value.stringValue };
  if ('doubleValue' in value) return { double: typeof value.doubleValue === 'string' ? Number(value.doubleValue) : value.doubleValue };
  if ('nullValue' in value) return { exact: null };
  return undefined;
}
function matches(want, got, failed) {
  if (want.error) return failed;
  if (failed) return false;
  if ('unsigned' in want) {
    try {
      return BigInt(typeof got === 'object' && got !== null && 'value' in got ? got.value : got) === want.unsigned;
    } catch {
      return false;
    }
  }
  if ('double' in want) return typeof got === 'number' && (Object.is(got, want.double) || got === want.double || (Number.isNaN(want.double) && Number.isNaN(got)));
  return got === want.exact;
}
const CORE_SECTIONS = new Set(['basic', 'comparisons', 'conversions', 'fields', 'fp_math', 'integer_math', 'lists', 'logic', 'macros', 'parse', 'plumbing', 'string', 'timestamps']);
const evaluators = {
  '@bufbuild/cel': (source) => {
    const value = bufPlan(environment, bufParse(source))();
    return { value, failed: isCelError(value) };
  },
  ...(marcbachmann ? { '@marcbachmann/cel-js': (source) => ({ value: marcbachmann.evaluate(source), failed: false }) } : {}),
  ...(celJs ? { 'cel-js': (source) => ({ value: celJs.evaluate(source), failed: false }) } : {}),
};
const score = {};
for (const [path, test] of walk(conformance, '')) {
  const original = test.original;
  const section = path.split('/')[2];
  if (!CORE_SECTIONS.has(section) || original.bindings || original.container || original.typeEnv || /google\.|TestAllTypes|proto/.test(original.expr)) continue;
  const want = expected(original);
  if (want === undefined) continue;
  for (const [name, evaluate] of Object.entries(evaluators)) {
    score[name] ??= { passed: 0, total: 0 };
    score[name].total += 1;
    let outcome;
    try {
      outcome = evaluate(original.expr);
    } catch {
      outcome = { value: undefined, failed: true };
    }
    if (matches(want, outcome.value, outcome.failed)) score[name].passed += 1;
  }
}
console.table(Object.fromEntries(Object.entries(score).map(([name, { passed, total }]) => [name, { passed, total, share: `${((100 * passed) / total).toFixed(1)} %` }])));
console.log(`node ${process.version}`);
