import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { HeimdallConfigSchema, type HeimdallConfig } from './config-schema.js';

/** A config file that cannot be used; the message names the file and the bad field. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: false });
const validateConfig = ajv.compile<HeimdallConfig>(HeimdallConfigSchema);

function describeAjvError(error: ErrorObject): string {
  const path = error.instancePath === '' ? '(root)' : error.instancePath.slice(1).replaceAll('/', '.');
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return `${path === '(root)' ? extra : `${path}.${extra}`}: unknown field`;
  }
  return `${path}: ${error.message ?? 'invalid'}`;
}

/**
 * Validates a parsed config object against the published JSON Schema.
 * @throws ConfigError listing every bad field (`providers.openai.keys.0.weight: must be > 0`)
 */
export function validateConfigObject(value: unknown, source: string): HeimdallConfig {
  if (validateConfig(value)) return value;
  const problems = (validateConfig.errors ?? []).map(describeAjvError);
  throw new ConfigError(`invalid config ${source}:\n  ${[...new Set(problems)].join('\n  ')}`);
}

/**
 * Reads and validates a JSON config file.
 * @throws ConfigError when the file is missing, not JSON, or does not match the schema
 */
export function loadConfigFile(path: string): HeimdallConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return validateConfigObject(parsed, path);
}

/**
 * Resolves a secret-bearing value: `"env.NAME"` reads environment variable NAME.
 * @throws ConfigError naming the field when the variable is unset or empty
 */
export function resolveSecret(value: string, field: string, environment: NodeJS.ProcessEnv): string {
  if (!value.startsWith('env.')) return value;
  const name = value.slice(4);
  const resolved = environment[name];
  if (resolved === undefined || resolved === '') {
    throw new ConfigError(`${field}: environment variable ${name} is not set`);
  }
  return resolved;
}
