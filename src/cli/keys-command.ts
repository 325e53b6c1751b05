import { parseArgs } from 'node:util';
import type { PublicBudget, PublicCustomer, PublicTeam, PublicVirtualKey } from '../governance/public-views.js';
import { AdminClient, CLIENT_OPTIONS, CLIENT_OPTIONS_HELP } from './admin-client.js';
import { CliUsageError, commaList, formatTable, formatUsd, print } from './cli-support.js';

/**
 * `heimdall keys create | list | revoke`: virtual keys through a running gateway's admin API.
 */

export const KEYS_USAGE = `Usage:
  heimdall keys create --name NAME [--team TEAM | --customer CUSTOMER]
                       [--budget USD [--budget-period 1M]] [--models a,b] [--providers a,b]
                       [--expires-at 2027-01-01T00:00:00Z]
  heimdall keys list [--team TEAM | --customer CUSTOMER]
  heimdall keys revoke <id|name>

create prints the new key once (Heimdall keeps only its hash).
  --name NAME          unique name of the key
  --team / --customer  owner (id or name); its budgets apply to the key too
  --budget USD         spending limit of the key per --budget-period
  --budget-period P    1m, 1h, 1d, 1w, 1M (default) or 1Y
  --models a,b         allowed models or globs (default all), e.g. "openai/gpt-5*,claude-*"
  --providers a,b      allowed provider instances (default all)
  --expires-at TIME    ISO 8601 time after which the key stops working

Options of every subcommand:
${CLIENT_OPTIONS_HELP}`;

const BUDGET_PERIODS = ['1m', '1h', '1d', '1w', '1M', '1Y'] as const;
const PERIOD_NAMES: Record<string, string> = { '1m': 'minute', '1h': 'hour', '1d': 'day', '1w': 'week', '1M': 'month', '1Y': 'year' };

interface CreatedKey {
  virtual_key: PublicVirtualKey;
  secret: string;
  budgets: PublicBudget[];
}

async function createKey(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...CLIENT_OPTIONS,
      name: { type: 'string' },
      team: { type: 'string' },
      customer: { type: 'string' },
      budget: { type: 'string' },
      'budget-period': { type: 'string' },
      models: { type: 'string' },
      providers: { type: 'string' },
      'expires-at': { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new CliUsageError(`keys create: unexpected argument '${positionals[0]}'`);
  if (values.name === undefined) throw new CliUsageError('keys create: --name is required');
  if (values.team !== undefined && values.customer !== undefined) throw new CliUsageError('keys create: give --team or --customer, not both');
  const period = values['budget-period'] ?? '1M';
  if (!(BUDGET_PERIODS as readonly string[]).includes(period)) throw new CliUsageError(`keys create: --budget-period must be one of ${BUDGET_PERIODS.join(', ')}`);
  if (values['budget-period'] !== undefined && values.budget === undefined) throw new CliUsageError('keys create: --budget-period needs --budget');
  let budgets: Array<{ limit_usd: number; period: string }> | undefined;
  if (values.budget !== undefined) {
    const limit = Number(values.budget.replace(/^\$/, ''));
    if (!Number.isFinite(limit) || limit < 0) throw new CliUsageError(`keys create: --budget must be an amount in USD >= 0, not '${values.budget}'`);
    budgets = [{ limit_usd: limit, period }];
  }
  const client = new AdminClient({ url: values.url, adminToken: values['admin-token'] });
  const created = await client.post<CreatedKey>('/api/virtual-keys', {
    name: values.name,
    ...(values.team === undefined ? {} : { team_id: values.team }),
    ...(values.customer === undefined ? {} : { customer_id: values.customer }),
    ...(budgets === undefined ? {} : { budgets }),
    ...(values.models === undefined ? {} : { allowed_models: commaList(values.models) }),
    ...(values.providers === undefined ? {} : { allowed_providers: commaList(values.providers) }),
    ...(values['expires-at'] === undefined ? {} : { expires_at: values['expires-at'] }),
  });
  if (values.json === true) {
    print(JSON.stringify(created, null, 2));
    return;
  }
  const key = created.virtual_key;
  print(`Created virtual key '${key.name}' (id ${key.id}).`);
  for (const budget of created.budgets) print(`Budget: ${formatUsd(budget.limit_usd)} per ${PERIOD_NAMES[budget.period] ?? budget.period}.`);
  if (key.allowed_models.join(',') !== '*') print(`Models: ${key.allowed_models.join(', ')}`);
  if (key.allowed_providers.join(',') !== '*') print(`Providers: ${key.allowed_providers.join(', ')}`);
  print();
  print(`  ${created.secret}`);
  print();
  print('This is the only time the key is shown: Heimdall stores only its hash. For Claude Code:');
  print(`  export ANTHROPIC_AUTH_TOKEN=${created.secret}`);
}

async function listKeys(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...CLIENT_OPTIONS, team: { type: 'string' }, customer: { type: 'string' } } });
  if (positionals.length > 0) throw new CliUsageError(`keys list: unexpected argument '${positionals[0]}'`);
  const client = new AdminClient({ url: values.url, adminToken: values['admin-token'] });
  const keys = await client.get<{ data: PublicVirtualKey[] }>('/api/virtual-keys', { team_id: values.team, customer_id: values.customer });
  if (values.json === true) {
    print(JSON.stringify(keys, null, 2));
    return;
  }
  if (keys.data.length === 0) {
    print('No virtual keys. Create one with: heimdall keys create --name NAME');
    return;
  }
  const [teams, customers] = await Promise.all([client.get<{ data: PublicTeam[] }>('/api/teams'), client.get<{ data: PublicCustomer[] }>('/api/customers')]);
  const teamNames = new Map(teams.data.map((team) => [team.id, team.name]));
  const customerNames = new Map(customers.data.map((customer) => [customer.id, customer.name]));
  const owner = (key: PublicVirtualKey): string => {
    if (key.team_id !== null) return `team ${teamNames.get(key.team_id) ?? key.team_id}`;
    if (key.customer_id !== null) return `customer ${customerNames.get(key.customer_id) ?? key.customer_id}`;
    return '-';
  };
  print(
    formatTable(
      ['NAME', 'KEY', 'STATE', 'OWNER', 'MODELS', 'EXPIRES', 'ID'],
      keys.data.map((key) => [key.name, key.key_prefix, key.state, owner(key), key.allowed_models.join(','), key.expires_at ?? '-', key.id]),
    ),
  );
}

async function revokeKey(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: CLIENT_OPTIONS });
  if (positionals.length !== 1) throw new CliUsageError('keys revoke: give exactly one key id or name');
  const client = new AdminClient({ url: values.url, adminToken: values['admin-token'] });
  const key = await client.post<PublicVirtualKey>(`/api/virtual-keys/${encodeURIComponent(positionals[0])}/revoke`);
  if (values.json === true) {
    print(JSON.stringify(key, null, 2));
    return;
  }
  print(`Revoked virtual key '${key.name}' (${key.key_prefix}) at ${key.revoked_at ?? 'now'}. Requests with it are refused from now on.`);
}

/** Runs `heimdall keys …` with the arguments after `keys`. */
export async function runKeysCommand(argv: string[]): Promise<void> {
  const [subcommand, ...rest] = argv;
  switch (subcommand) {
    case 'create':
      return createKey(rest);
    case 'list':
      return listKeys(rest);
    case 'revoke':
      return revokeKey(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      print(KEYS_USAGE);
      return;
    default:
      throw new CliUsageError(`unknown keys subcommand '${subcommand}'`);
  }
}
