#!/usr/bin/env node
import { CliFailure, CliUsageError, EXIT_FAILURE, EXIT_USAGE, isParseArgsError, packageVersion } from './cli/cli-support.js';

/**
 * The `heimdall` command. Each subcommand lives in `src/cli/<name>-command.ts`; this file picks one.
 * Exit codes: 0 done, 1 failed (the gateway refused, cannot be reached, bad config), 2 bad command line.
 */

const USAGE = `Usage: heimdall <command> [options]

Commands:
  serve                 start the gateway (default; \`heimdall serve --help\` for its options)
  keys create|list|revoke
                        manage virtual keys through a running gateway (\`heimdall keys --help\`)
  usage                 requests, tokens and cost recorded by a running gateway (\`heimdall usage --help\`)
  admin create-user     create an admin / dashboard user (\`heimdall admin --help\`)
  logs                  the request log of a running gateway; --follow tails it (\`heimdall logs --help\`)

Options:
  -h, --help            show this help
  -v, --version         print the version`;

/** A subcommand: how to run it, and its help (printed after a command-line error). */
interface CliCommand {
  run(argv: string[]): Promise<void>;
  usage: string;
}

/** Each command's module is loaded when used, so `heimdall keys …` does not load the whole gateway. */
const COMMANDS: Record<string, () => Promise<CliCommand>> = {
  serve: async () => {
    const module = await import('./cli/serve-command.js');
    return { run: module.runServeCommand, usage: module.SERVE_USAGE };
  },
  keys: async () => {
    const module = await import('./cli/keys-command.js');
    return { run: module.runKeysCommand, usage: module.KEYS_USAGE };
  },
  usage: async () => {
    const module = await import('./cli/usage-command.js');
    return { run: module.runUsageCommand, usage: module.USAGE_USAGE };
  },
  admin: async () => {
    const module = await import('./cli/admin-command.js');
    return { run: module.runAdminCommand, usage: module.ADMIN_USAGE };
  },
  logs: async () => {
    const module = await import('./cli/logs-command.js');
    return { run: (argv) => module.runLogsCommand(argv), usage: module.LOGS_USAGE };
  },
};

/** The help to show after a command-line error: the command's, else the overview. */
let usageOnError = USAGE;

async function main(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  if (first === '-h' || first === '--help' || first === 'help') {
    console.log(USAGE);
    return;
  }
  if (first === '-v' || first === '--version') {
    console.log(packageVersion());
    return;
  }
  // `heimdall` and `heimdall --port 9000` mean `heimdall serve …`.
  const name = first === undefined || first.startsWith('-') ? 'serve' : first;
  const load = COMMANDS[name];
  if (load === undefined) throw new CliUsageError(`unknown command '${first}'`);
  const command = await load();
  usageOnError = command.usage;
  await command.run(name === first ? rest : argv);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof CliUsageError || isParseArgsError(error)) {
    console.error(`heimdall: ${error.message}\n\n${usageOnError}`);
    process.exit(EXIT_USAGE);
  }
  if (error instanceof CliFailure) {
    console.error(`heimdall: ${error.message}`);
  } else {
    console.error('heimdall:', error);
  }
  process.exit(EXIT_FAILURE);
});
