import type { HeimdallConfig } from '../config/config-schema.js';
import { buildGatewaySettings } from '../config/gateway-settings.js';
import { startGateway, type RunningGateway } from '../start-gateway.js';

/**
 * Starts a gateway for a test on 127.0.0.1 and a free port, from `config` (validated by the caller
 * or hand-written in the config file's shape). The process environment is not consulted: `env.NAME`
 * secrets resolve against `environment` only, so a developer's real API keys never reach a test.
 */
export async function startTestGateway(config: HeimdallConfig, environment: NodeJS.ProcessEnv = {}): Promise<RunningGateway> {
  const settings = buildGatewaySettings(config, environment);
  settings.port = 0;
  settings.host = '127.0.0.1';
  return startGateway(settings);
}
