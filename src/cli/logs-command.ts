import { parseArgs } from 'node:util';
import { createParser } from 'eventsource-parser';
import type { RequestLogSummary } from '../observability/logs/request-log-record.js';
import { AdminClient, CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, DEFAULT_GATEWAY_URL } from './admin-client.js';
import { CliFailure, CliUsageError, formatUsd, print } from './cli-support.js';

/**
 * `heimdall logs`: the request log of a running gateway — the latest records matching a filter,
 * or (`--follow`) a live tail over `/api/logs/tail` (SSE).
 */

export const LOGS_USAGE = `Usage: heimdall logs [--follow] [filters] [--limit N]

  -f, --follow         keep printing records as they land (live tail)
  --provider NAME      only this provider instance
  --model NAME         only this model (asked for or served)
  --status S           an HTTP status, error or success
  --search TEXT        full-text search over logged content (not with --follow)
  --since TIME         from this time: ISO 8601, ms since the epoch, or a duration back (15m, 2h, 7d)
  --key KEY            only this virtual key (id or name)
  --team ID            only this team
  --api API            only this inbound API (anthropic, bedrock, genai)
  --kind KIND          only this request kind (main, subagent, background, title, compaction, other)
  --limit N            records to print without --follow (default 20)
${CLIENT_OPTIONS_HELP}`;

/** One line per record: time, status, kind, provider/model, tokens, cost, latency (and the inbound API when it is not `/anthropic`). */
export function formatLogLine(record: RequestLogSummary): string {
  const time = new Date(record.createdAt).toISOString().replace('T', ' ').replace('Z', '');
  const target = record.provider === undefined ? (record.modelRequested ?? '-') : `${record.provider}/${record.modelServed ?? '?'}`;
  const tokens = `${record.inputTokens}→${record.outputTokens}`;
  const extra = [
    record.inboundApi === 'anthropic' ? '' : `via /${record.inboundApi}`,
    record.fallbackStep > 0 ? `fallback#${record.fallbackStep}` : '',
    record.errorMessage === undefined ? '' : `error: ${record.errorMessage.slice(0, 120)}`,
  ].filter((part) => part !== '');
  return [time, String(record.status), record.requestKind.padEnd(10), target, `${tokens} tok`, formatUsd(record.costUsd), `${Math.round(record.latencyMs)} ms`, ...extra].join('  ');
}

/** Runs `heimdall logs` with the arguments after `logs`. */
export async function runLogsCommand(argv: string[], environment: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...CLIENT_OPTIONS,
      follow: { type: 'boolean', short: 'f' },
      provider: { type: 'string' },
      model: { type: 'string' },
      status: { type: 'string' },
      search: { type: 'string' },
      since: { type: 'string' },
      key: { type: 'string' },
      team: { type: 'string' },
      api: { type: 'string' },
      kind: { type: 'string' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    print(LOGS_USAGE);
    return;
  }
  if (positionals.length > 0) throw new CliUsageError(`logs: unexpected argument '${positionals[0]}'`);
  if (values.follow === true && values.search !== undefined) throw new CliUsageError('logs: --search cannot be combined with --follow');
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CliUsageError('logs: --limit must be an integer from 1 to 1000');
  const query: Record<string, string | undefined> = {
    provider: values.provider,
    model: values.model,
    status: values.status,
    search: values.search,
    since: values.since,
    virtual_key: values.key,
    team: values.team,
    inbound_api: values.api,
    request_kind: values.kind,
  };
  const client = new AdminClient({ url: values.url, adminToken: values['admin-token'] }, environment);
  if (values.follow !== true) {
    const page = await client.get<{ data: RequestLogSummary[] }>('/api/logs', { ...query, limit: String(limit) });
    const records = [...page.data].reverse();
    if (values.json === true) print(JSON.stringify(records, null, 2));
    else for (const record of records) print(formatLogLine(record));
    return;
  }
  await followLogs(client.baseUrl, values['admin-token'] ?? (environment.HEIMDALL_ADMIN_TOKEN || undefined), query, values.json === true);
}

/** Prints tailed records until the gateway closes the stream or the process is interrupted. */
async function followLogs(baseUrl: string, token: string | undefined, query: Record<string, string | undefined>, json: boolean): Promise<void> {
  const search = new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const url = `${baseUrl}/api/logs/tail${search.size === 0 ? '' : `?${search.toString()}`}`;
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'text/event-stream', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) } });
  } catch (error) {
    throw new CliFailure(`cannot reach a Heimdall gateway at ${baseUrl} (${(error as Error).message}); start one with \`heimdall serve\`, or pass --url (default ${DEFAULT_GATEWAY_URL})`);
  }
  if (!response.ok || response.body === null) {
    const text = await response.text();
    throw new CliFailure(`${url} answered ${response.status}: ${text.slice(0, 300)}${response.status === 401 ? ' (pass --admin-token or set HEIMDALL_ADMIN_TOKEN)' : ''}`);
  }
  const parser = createParser({
    onEvent: (event) => {
      if (event.event !== 'log') return;
      const record = JSON.parse(event.data) as RequestLogSummary;
      print(json ? JSON.stringify(record) : formatLogLine(record));
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
}
