import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startGovernedGateway } from '../admin/start-governed-gateway.js';
import type { HeimdallConfig } from '../config/config-schema.js';
import { ConfigError, loadConfigFile } from '../config/load-config.js';
import { DATABASE_URL_VARIABLE, REDIS_URL_VARIABLE } from '../governance/start-governance.js';
import { StorageError } from '../storage/storage-errors.js';
import { CliFailure, packageVersion, print } from './cli-support.js';
import { DashboardFiles } from '../server/dashboard-static-files.js';

/**
 * `heimdall serve`: starts the store (SQLite in the app directory, or PostgreSQL), governance, the
 * admin API and the gateway, prints the banner, and stops cleanly on SIGINT/SIGTERM.
 */

export const SERVE_USAGE = `Usage: heimdall serve [options]    (also: heimdall [options])

Options:
  --port N              port to listen on (default 8080, or server.port in the config)
  --host HOST           address to bind (default 127.0.0.1; 0.0.0.0 to expose)
  --app-dir DIR         data directory: SQLite database, encryption key, config.json
                        (default HEIMDALL_APP_DIR, else ~/.config/heimdall)
  --config FILE         JSON config file (default HEIMDALL_CONFIG, else <app-dir>/config.json when present)
  --database-url URL    postgres://… to share state between replicas (wins over storage.database_url;
                        default ${DATABASE_URL_VARIABLE}, else SQLite at <app-dir>/heimdall.db)
  --redis-url URL       redis://… to share budget and rate-limit counters (wins over storage.redis_url;
                        default ${REDIS_URL_VARIABLE}, else in memory)
  -h, --help            show this help`;

/** The data directory: `--app-dir`, else `HEIMDALL_APP_DIR`, else `~/.config/heimdall`. */
export function resolveAppDirectory(flag: string | undefined): string {
  return resolve(flag ?? process.env.HEIMDALL_APP_DIR ?? join(homedir(), '.config', 'heimdall'));
}

/**
 * Runs `heimdall serve` with the arguments after the command name.
 * @throws CliFailure for a bad config or an unreachable database (the message says which)
 */
export async function runServeCommand(argv: string[]): Promise<void> {
  try {
    await serve(argv);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StorageError) throw new CliFailure(error.message);
    throw error;
  }
}

async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'app-dir': { type: 'string' },
      config: { type: 'string' },
      'database-url': { type: 'string' },
      'redis-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    print(SERVE_USAGE);
    return;
  }
  const appDirectory = resolveAppDirectory(values['app-dir']);
  mkdirSync(appDirectory, { recursive: true });
  const defaultConfigPath = join(appDirectory, 'config.json');
  const configPath = values.config ?? process.env.HEIMDALL_CONFIG ?? (existsSync(defaultConfigPath) ? defaultConfigPath : undefined);
  const config: HeimdallConfig = configPath === undefined ? {} : loadConfigFile(resolve(configPath));
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port: not a port number: ${values.port}`);
  }

  const running = await startGovernedGateway({
    config,
    appDirectory,
    databaseUrl: values['database-url'],
    redisUrl: values['redis-url'],
    port,
    host: values.host,
  });
  const { gateway, settings } = running;
  const base = `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${gateway.port}`;
  const providers = [...settings.providers.values()].map((instance) =>
    instance.keys.length > 0 || !instance.definition.requiresKey ? instance.name : `${instance.name} (caller's credential)`,
  );
  const adminUser = running.initialAdminUser;
  print(`Heimdall ${packageVersion()} listening on ${base}
  Claude Code:   ANTHROPIC_BASE_URL=${base}/anthropic
  Dashboard:     ${base}/${(await new DashboardFiles().available()) ? '' : ' (not built: npm run build)'}
  Health:        ${base}/health
  Config:        ${configPath ?? '(none: providers from environment variables)'}
  App dir:       ${appDirectory}
  Storage:       ${running.storageDescription}
  Providers:     ${providers.join(', ') || '(none)'}
  Admin API:     ${base}/api (OpenAPI: ${base}/api/openapi.json)
  Admin access:  ${running.adminAccessDescription}${adminUser === undefined || adminUser.action === 'unchanged' ? '' : `\n  Admin user:    '${adminUser.username}' ${adminUser.action} from the config`}`);
  for (const warning of running.warnings) console.warn(`  Warning:       ${warning}`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    print(`\n${signal}: shutting down…`);
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
