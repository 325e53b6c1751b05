import { celEnv, isCelError, parse, plan, type CelInput, type CelResult } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { ROUTING_VARIABLES, type RoutingContext, type RoutingVariable } from './routing-context.js';

/**
 * Compiling routing-rule expressions (CEL, with `@bufbuild/cel`): once when a rule is saved or
 * loaded, never per request. Compilation parses, checks the names the expression uses, rewrites
 * header keys to lower case, and plans the evaluation; evaluating a compiled rule is a plain
 * function call (about 1–2 µs for a typical rule, see docs/architecture.md#routing).
 *
 * @see https://github.com/google/cel-spec/blob/master/doc/langdef.md
 * @see https://github.com/bufbuild/cel-es
 */

/** A CEL AST node (`cel.expr.Expr`) as `@bufbuild/cel` parses it. */
type Expr = ReturnType<typeof parse>['expr'];

/** Where in an expression a problem is: 1-based line and column, 0-based character offset. */
export interface ExpressionPosition {
  line: number;
  column: number;
  offset: number;
}

/** An expression that cannot be compiled, with the CEL error and where it is. */
export class RoutingExpressionError extends Error {
  readonly position?: ExpressionPosition;

  constructor(message: string, position?: ExpressionPosition) {
    super(position === undefined ? message : `${message} (line ${position.line}, column ${position.column})`);
    this.name = 'RoutingExpressionError';
    this.position = position;
  }
}

/** The outcome of evaluating a rule's expression for one request. */
export type ExpressionOutcome =
  | { kind: 'match' }
  | { kind: 'no-match' }
  /** Evaluation failed (a missing header or map key, null governance field, a type error): the rule does not match. */
  | { kind: 'error'; message: string };

/** A compiled expression: evaluate it as often as needed. */
export interface CompiledExpression {
  readonly source: string;
  /** The routing variables the expression reads (so a caller builds only those). */
  readonly variables: ReadonlySet<RoutingVariable>;
  evaluate(context: RoutingContext): ExpressionOutcome;
}

/** The CEL environment every rule is planned in: the standard library plus the string extensions (`lowerAscii`, `split`, …). */
const environment = celEnv({ funcs: strings });

const MATCH: ExpressionOutcome = { kind: 'match' };
const NO_MATCH: ExpressionOutcome = { kind: 'no-match' };

/** Longest expression accepted, characters. */
export const MAX_EXPRESSION_LENGTH = 4096;

function positionAt(source: string, offset: number): ExpressionPosition {
  let line = 1;
  let lineStart = 0;
  for (let index = 0; index < offset && index < source.length; index += 1) {
    if (source[index] === '\n') {
      line += 1;
      lineStart = index + 1;
    }
  }
  return { line, column: offset - lineStart + 1, offset };
}

interface ParseFailure {
  message: string;
  location?: { start?: { offset?: unknown } };
}

function isParseFailure(error: unknown): error is ParseFailure {
  return error instanceof Error;
}

/** Names the expression uses, checked and rewritten while walking the AST. */
class ExpressionWalker {
  readonly variables = new Set<RoutingVariable>();

  constructor(
    private readonly source: string,
    private readonly positions: Readonly<Record<string, number>>,
  ) {}

  walk(expression: Expr | undefined, bound: ReadonlySet<string>): void {
    if (expression === undefined) return;
    const kind = expression.exprKind;
    switch (kind.case) {
      case 'identExpr':
        this.identifier(kind.value.name, expression, bound);
        return;
      case 'constExpr':
        return;
      case 'selectExpr': {
        const operand = kind.value.operand;
        if (isHeadersIdentifier(operand, bound)) kind.value.field = kind.value.field.toLowerCase();
        this.walk(operand, bound);
        return;
      }
      case 'callExpr': {
        const call = kind.value;
        const name = call.function;
        if (/^[A-Za-z]/.test(name) && environment.funcs.find(name) === undefined) {
          throw new RoutingExpressionError(`unknown function '${name}'`, this.positionOf(expression));
        }
        if (name === '_[_]' && isHeadersIdentifier(call.args[0], bound)) lowerCaseStringConstant(call.args[1]);
        if (name === '@in' && isHeadersIdentifier(call.args[1], bound)) lowerCaseStringConstant(call.args[0]);
        this.walk(call.target, bound);
        for (const argument of call.args) this.walk(argument, bound);
        return;
      }
      case 'listExpr':
        for (const element of kind.value.elements) this.walk(element, bound);
        return;
      case 'structExpr':
        for (const entry of kind.value.entries) {
          if (entry.keyKind.case === 'mapKey') this.walk(entry.keyKind.value, bound);
          this.walk(entry.value, bound);
        }
        return;
      case 'comprehensionExpr': {
        const comprehension = kind.value;
        this.walk(comprehension.iterRange, bound);
        this.walk(comprehension.accuInit, bound);
        const inner = new Set(bound);
        inner.add(comprehension.iterVar);
        if (comprehension.iterVar2 !== '') inner.add(comprehension.iterVar2);
        inner.add(comprehension.accuVar);
        this.walk(comprehension.loopCondition, inner);
        this.walk(comprehension.loopStep, inner);
        this.walk(comprehension.result, inner);
        return;
      }
      case undefined:
        return;
      default: {
        const unreachable: never = kind;
        throw new RoutingExpressionError(`unsupported expression ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private identifier(name: string, expression: Expr, bound: ReadonlySet<string>): void {
    if (bound.has(name)) return;
    if (!ROUTING_VARIABLES.has(name)) {
      throw new RoutingExpressionError(
        `unknown variable '${name}'; rules can use ${[...ROUTING_VARIABLES].join(', ')}`,
        this.positionOf(expression),
      );
    }
    this.variables.add(name as RoutingVariable);
  }

  private positionOf(expression: Expr): ExpressionPosition | undefined {
    const offset = this.positions[String(expression.id)];
    return offset === undefined ? undefined : positionAt(this.source, offset);
  }
}

function isHeadersIdentifier(expression: Expr | undefined, bound: ReadonlySet<string>): boolean {
  return expression !== undefined && expression.exprKind.case === 'identExpr' && expression.exprKind.value.name === 'headers' && !bound.has('headers');
}

function lowerCaseStringConstant(expression: Expr | undefined): void {
  if (expression === undefined || expression.exprKind.case !== 'constExpr') return;
  const constant = expression.exprKind.value.constantKind;
  if (constant.case === 'stringValue') constant.value = constant.value.toLowerCase();
}

/**
 * The context as CEL bindings. Every field is JSON-shaped data (strings, finite numbers,
 * booleans, null, arrays, plain objects), which CEL takes as its input types.
 */
function bindingsOf(context: RoutingContext): Record<string, CelInput> {
  return context as unknown as Record<string, CelInput>;
}

function describeResult(result: CelResult): string {
  if (result === null) return 'null';
  if (typeof result === 'object') return 'a value that is not a bool';
  return `${typeof result} ${String(result)}`;
}

/**
 * Compiles a routing-rule expression.
 *
 * Names are checked at compile time: an unknown variable (`modle == "x"`) or function is refused
 * with its position, like a syntax error. Header keys written as constants (`headers["User-Agent"]`,
 * `"X-Team" in headers`, `has(headers.Foo)`) are lower-cased so that header matching ignores case.
 *
 * @throws RoutingExpressionError with the CEL error and its position
 */
export function compileRoutingExpression(source: string): CompiledExpression {
  if (source.trim() === '') throw new RoutingExpressionError('the expression is empty');
  if (source.length > MAX_EXPRESSION_LENGTH) throw new RoutingExpressionError(`the expression is longer than ${MAX_EXPRESSION_LENGTH} characters`);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (error) {
    if (!isParseFailure(error)) throw new RoutingExpressionError(`syntax error: ${String(error)}`);
    const offset = error.location?.start?.offset;
    const message = error.message.replace(/^<input>:\d+:\d+: /, '');
    throw new RoutingExpressionError(`syntax error: ${message}`, typeof offset === 'number' ? positionAt(source, offset) : undefined);
  }
  const positions: Record<string, number> = {};
  for (const [id, offset] of Object.entries(parsed.sourceInfo?.positions ?? {})) positions[id] = offset;
  const walker = new ExpressionWalker(source, positions);
  walker.walk(parsed.expr, new Set());
  let planned: ReturnType<typeof plan>;
  try {
    planned = plan(environment, parsed);
  } catch (error) {
    throw new RoutingExpressionError(`cannot compile: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    source,
    variables: walker.variables,
    evaluate(context: RoutingContext): ExpressionOutcome {
      let result: CelResult;
      try {
        result = planned(bindingsOf(context));
      } catch (error) {
        return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
      }
      if (result === true) return MATCH;
      if (result === false) return NO_MATCH;
      if (isCelError(result)) return { kind: 'error', message: result.message };
      return { kind: 'error', message: `the expression gave ${describeResult(result)}, not a bool` };
    },
  };
}
