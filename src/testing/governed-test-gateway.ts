import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGovernedGateway, type GovernedGateway } from '../admin/start-governed-gateway.js';
import type { HeimdallConfig } from '../config/config-schema.js';
import { createScratchPostgresDatabase } from './services.js';

/** A gateway with its store, for a test. */
export interface GovernedTestGateway {
  url: string;
  running: GovernedGateway;
  /** Warnings the gateway logged. */
  warnings: string[];
  appDirectory: string;
  /** Stops the gateway, closes the store, drops the scratch database / removes the app directory. */
  close(): Promise<void>;
}

/**
 * Starts a gateway with storage and governance (`startGovernedGateway`) on 127.0.0.1 and a free
 * port, in a fresh app directory, on SQLite or a scratch PostgreSQL database. `env.NAME` secrets
 * resolve against `environment` only (never the developer's real keys).
 */
export async function startGovernedTestGateway(
  config: HeimdallConfig,
  options: { backend?: 'sqlite' | 'postgres'; environment?: NodeJS.ProcessEnv } = {},
): Promise<GovernedTestGateway> {
  const appDirectory = mkdtempSync(join(tmpdir(), 'heimdall-admin-'));
  const scratch = options.backend === 'postgres' ? await createScratchPostgresDatabase() : undefined;
  const warnings: string[] = [];
  try {
    const running = await startGovernedGateway({
      config,
      appDirectory,
      environment: options.environment ?? {},
      ...(scratch === undefined ? {} : { databaseUrl: scratch.url }),
      port: 0,
      host: '127.0.0.1',
      log: (line) => warnings.push(line),
    });
    return {
      url: running.gateway.url,
      running,
      warnings,
      appDirectory,
      close: async () => {
        await running.close();
        await scratch?.drop();
        rmSync(appDirectory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await scratch?.drop().catch(() => undefined);
    rmSync(appDirectory, { recursive: true, force: true });
    throw error;
  }
}
