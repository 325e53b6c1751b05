import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { AdminClient, CLIENT_OPTIONS, CLIENT_OPTIONS_HELP } from './admin-client.js';
import { CliUsageError, print } from './cli-support.js';

/**
 * `heimdall admin create-user`: a dashboard / admin API user, created through a running gateway's
 * admin API. On a fresh gateway (no admin credential yet) this works from the gateway's own machine
 * without a token, which is how the first user is made when the config does not set
 * `admin.username` / `admin.password`.
 */

export const ADMIN_USAGE = `Usage: heimdall admin create-user --username NAME [--password-stdin | --password PASSWORD]

Creates an admin user who can log in to the admin API (POST /api/auth/login) and the dashboard.
Without --password-stdin or --password the password is asked for (hidden) on a terminal.
--password is visible in your shell history and process list; prefer --password-stdin.
${CLIENT_OPTIONS_HELP}`;

/** Reads all of stdin as the password (one trailing newline removed). */
async function readPasswordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Asks for a line on the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    let muted = false;
    const output = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (!muted) process.stdout.write(chunk);
        callback();
      },
    });
    const readline = createInterface({ input: process.stdin, output, terminal: true });
    process.stdout.write(question);
    muted = true;
    readline.question('', (answer) => {
      readline.close();
      process.stdout.write('\n');
      resolve(answer);
    });
  });
}

async function createUser(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...CLIENT_OPTIONS, username: { type: 'string' }, password: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
  });
  if (positionals.length > 0) throw new CliUsageError(`admin create-user: unexpected argument '${positionals[0]}'`);
  if (values.username === undefined) throw new CliUsageError('admin create-user: --username is required');
  if (values.password !== undefined && values['password-stdin'] === true) throw new CliUsageError('admin create-user: give --password or --password-stdin, not both');
  let password: string;
  if (values.password !== undefined) password = values.password;
  else if (values['password-stdin'] === true || !process.stdin.isTTY) password = await readPasswordFromStdin();
  else {
    password = await promptHidden('Password: ');
    if ((await promptHidden('Again: ')) !== password) throw new CliUsageError('admin create-user: the passwords differ');
  }
  const client = new AdminClient({ url: values.url, adminToken: values['admin-token'] });
  const user = await client.post<{ id: string; username: string }>('/api/admin-users', { username: values.username, password });
  if (values.json === true) {
    print(JSON.stringify(user, null, 2));
    return;
  }
  print(`Created admin user '${user.username}' (id ${user.id}). Log in with POST ${client.baseUrl}/api/auth/login.`);
}

/** Runs `heimdall admin …` with the arguments after `admin`. */
export async function runAdminCommand(argv: string[]): Promise<void> {
  const [subcommand, ...rest] = argv;
  switch (subcommand) {
    case 'create-user':
      return createUser(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      print(ADMIN_USAGE);
      return;
    default:
      throw new CliUsageError(`unknown admin subcommand '${subcommand}'`);
  }
}
