#!/usr/bin/env node
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from './config/load-config.js';
import { buildGatewaySettings } from './config/gateway-settings.js';
import type { HeimdallConfig } from './config/config-schema.js';
import { startGateway } from './start-gateway.js';

const USAGE = `Usage: heimdall <command> [options]

Commands:
  serve            start the gateway (default)

Options for serve:
  --port N         port to listen on (default 8080, or server.port in the config)
  --host HOST      address to bind (default 127.0.0.1; 0.0.0.0 to expose)
  --app-dir DIR    data directory (default ~/.config/heimdall)
  --config FILE    JSON config file (default <app-dir>/config.json when present)
  -h, --help       show this help
  -v, --version    print the version`;

function packageVersion(): string {
  const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return packageJson.version;
}

async function serve(values: { port?: string; host?: string; 'app-dir'?: string; config?: string }): Promise<void> {
  const appDirectory = resolve(values['app-dir'] ?? process.env.HEIMDALL_APP_DIR ?? join(homedir(), '.config', 'heimdall'));
  mkdirSync(appDirectory, { recursive: true });
  const defaultConfigPath = join(appDirectory, 'config.json');
  const configPath = values.config ?? process.env.HEIMDALL_CONFIG ?? (existsSync(defaultConfigPath) ? defaultConfigPath : undefined);
  const config: HeimdallConfig = configPath === undefined ? {} : loadConfigFile(resolve(configPath));
  const settings = buildGatewaySettings(config);
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port: not a port number: ${values.port}`);
    settings.port = port;
  }
  if (values.host !== undefined) settings.host = values.host;

  const gateway = await startGateway(settings);
  const base = `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${gateway.port}`;
  const providers = [...settings.providers.values()].map((instance) =>
    instance.keys.length > 0 || !instance.definition.requiresKey ? instance.name : `${instance.name} (caller's credential)`,
  );
  console.log(`Heimdall ${packageVersion()} listening on ${base}
  Claude Code:   ANTHROPIC_BASE_URL=${base}/anthropic
  Health:        ${base}/health
  Config:        ${configPath ?? '(none: providers from environment variables)'}
  App dir:       ${appDirectory}
  Providers:     ${providers.join(', ') || '(none)'}`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`\n${signal}: shutting down…`);
    gateway.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'app-dir': { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.help === true) {
    console.log(USAGE);
    return;
  }
  if (values.version === true) {
    console.log(packageVersion());
    return;
  }
  const command = positionals[0] ?? 'serve';
  switch (command) {
    case 'serve':
      await serve(values);
      return;
    default:
      console.error(`unknown command '${command}'\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
    console.error(`heimdall: ${error.message}`);
  } else {
    console.error('heimdall:', error);
  }
  process.exit(1);
});
