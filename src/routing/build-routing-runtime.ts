import { ConfigError } from '../config/load-config.js';
import type { ProviderInstance } from '../providers/provider.js';
import type { RoutingConfig } from './routing-config-schema.js';
import { InvalidRoutingRuleError } from './routing-rule.js';
import { createRoutingRuntime, type RoutingRuntime } from './routing-runtime.js';

/**
 * The routing runtime from a validated config (`routing` and `aliases` sections), with config
 * errors that name the field: `routing.rules.0.expression: syntax error: … (line 1, column 7)`.
 * @throws ConfigError for an invalid rule or alias
 */
export function buildRoutingRuntime(
  providers: ReadonlyMap<string, ProviderInstance>,
  config: RoutingConfig | undefined,
  aliases: Readonly<Record<string, string>> | undefined,
): RoutingRuntime {
  try {
    return createRoutingRuntime(providers, config, aliases);
  } catch (error) {
    if (!(error instanceof InvalidRoutingRuleError)) throw error;
    if (error.ruleName === 'aliases') {
      throw new ConfigError(error.problems.map((problem) => `${problem.field}: ${problem.message}`).join('\n'));
    }
    const index = (config?.rules ?? []).findIndex((rule) => rule.name === error.ruleName);
    const prefix = index < 0 ? `routing.rules (${error.ruleName})` : `routing.rules.${index}`;
    throw new ConfigError(error.problems.map((problem) => `${prefix}.${problem.field}: ${problem.message}`).join('\n'));
  }
}
