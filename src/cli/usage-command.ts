import { parseArgs } from 'node:util';
import type { PublicBudget } from '../governance/public-views.js';
import { AdminClient, CLIENT_OPTIONS, CLIENT_OPTIONS_HELP } from './admin-client.js';
import { CliUsageError, formatCount, formatTable, formatUsd, print } from './cli-support.js';

/**
 * `heimdall usage`: requests, tokens and cost recorded by a running gateway, overall or for one
 * key, team or customer, with the budgets of that owner.
 */

export const USAGE_USAGE = `Usage: heimdall usage [--key KEY | --team TEAM | --customer CUSTOMER] [--from TIME] [--to TIME]

  --key / --team / --customer  only this virtual key, team or customer (id or name)
  --from TIME                  start, ISO 8601 (default: start of the current UTC month)
  --to TIME                    end, ISO 8601 (default: now)
${CLIENT_OPTIONS_HELP}`;

interface UsageTotals {
  from: string;
  to: string;
  owner_type: string | null;
  owner_id: string | null;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_usd: number;
}

const PERIOD_NAMES: Record<string, string> = { '1m': 'minute', '1h': 'hour', '1d': 'day', '1w': 'week', '1M': 'month', '1Y': 'year' };

/** Runs `heimdall usage` with the arguments after `usage`. */
export async function runUsageCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...CLIENT_OPTIONS,
      key: { type: 'string' },
      team: { type: 'string' },
      customer: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    print(USAGE_USAGE);
    return;
  }
  if (positionals.length > 0) throw new CliUsageError(`usage: unexpected argument '${positionals[0]}'`);
  const owners = [
    ['virtual_key', 'virtual key', values.key],
    ['team', 'team', values.team],
    ['customer', 'customer', values.customer],
  ].filter((entry): entry is [string, string, string] => entry[2] !== undefined);
  if (owners.length > 1) throw new CliUsageError('usage: give at most one of --key, --team and --customer');
  const client = new AdminClient({ url: values.url, adminToken: values['admin-token'] });
  const owner = owners[0];
  const totals = await client.get<UsageTotals>('/api/usage', {
    from: values.from,
    to: values.to,
    virtual_key_id: values.key,
    team_id: values.team,
    customer_id: values.customer,
  });
  const budgets = owner === undefined ? undefined : await client.get<{ data: PublicBudget[] }>('/api/budgets', { owner_type: owner[0], owner_id: owner[2] });
  if (values.json === true) {
    print(JSON.stringify(budgets === undefined ? totals : { ...totals, budgets: budgets.data }, null, 2));
    return;
  }
  print(`Usage ${owner === undefined ? 'of the whole gateway' : `of ${owner[1]} '${owner[2]}'`} from ${totals.from} to ${totals.to}:`);
  print(
    formatTable(
      ['', ''],
      [
        ['requests', formatCount(totals.requests)],
        ['input tokens', formatCount(totals.input_tokens)],
        ['output tokens', formatCount(totals.output_tokens)],
        ['cache reads', formatCount(totals.cache_read_tokens)],
        ['cache writes', formatCount(totals.cache_write_tokens)],
        ['cost', formatUsd(totals.cost_usd)],
      ].map(([label, value]) => [`  ${label}`, value]),
    )
      .split('\n')
      .slice(1)
      .join('\n'),
  );
  for (const budget of budgets?.data ?? []) {
    const current = budget.current;
    const period = PERIOD_NAMES[budget.period] ?? budget.period;
    print(
      current === undefined
        ? `Budget: ${formatUsd(budget.limit_usd)} per ${period}.`
        : `Budget: ${formatUsd(current.spent_usd)} of ${formatUsd(budget.limit_usd)} per ${period} spent, ${formatUsd(current.remaining_usd)} left; resets at ${current.window_end ?? '?'}.`,
    );
  }
}
