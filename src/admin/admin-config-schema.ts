import { Type, type Static } from '@sinclair/typebox';

/**
 * The `admin` section of the Heimdall config file: who may use the admin API (`/api/…`, including
 * the MCP gateway's `/api/mcp/…`). The single definition; `src/mcp/mcp-config-schema.ts`
 * re-exports it for the MCP gateway's imports.
 *
 * - `token`: a bearer token (`Authorization: Bearer <token>`), for scripts and the `heimdall` CLI.
 *   Env `HEIMDALL_ADMIN_TOKEN` when absent.
 * - `username` / `password`: the first dashboard user, created in the database at start (and its
 *   password updated when the configured one changes). Env `HEIMDALL_ADMIN_PASSWORD` (with user
 *   name `admin`, or `HEIMDALL_ADMIN_USERNAME`) when absent. More users: `POST /api/admin-users`
 *   or `heimdall admin create-user`.
 *
 * With no token and no admin user at all, the admin API answers only requests from the loopback
 * interface (127.0.0.1, ::1), and the start banner says so.
 */

/** Admin user names: 1–64 letters, digits, `.`, `_`, `@`, `-`. */
export const ADMIN_USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$';

/** Shortest admin password accepted. */
export const MINIMUM_ADMIN_PASSWORD_LENGTH = 12;

export const AdminConfigSchema = Type.Object(
  {
    token: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Admin API bearer token ("Authorization: Bearer <token>"), or "env.NAME". Default: env HEIMDALL_ADMIN_TOKEN.',
      }),
    ),
    username: Type.Optional(
      Type.String({
        pattern: ADMIN_USERNAME_PATTERN,
        description: 'User name of the first dashboard admin, created at start together with `password`. Default "admin".',
      }),
    ),
    password: Type.Optional(
      Type.String({
        minLength: 1,
        description: `Password of the first dashboard admin (at least ${MINIMUM_ADMIN_PASSWORD_LENGTH} characters), or "env.NAME". Default: env HEIMDALL_ADMIN_PASSWORD. Stored as a scrypt hash.`,
      }),
    ),
    session_ttl_hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 720, description: 'How long a dashboard login lasts, hours. Default 12.' })),
  },
  {
    additionalProperties: false,
    description:
      'Admin API (/api/…) access: a bearer token and/or dashboard users (username/password sessions). With neither configured, the admin API answers only from loopback (127.0.0.1, ::1).',
  },
);

export type AdminConfig = Static<typeof AdminConfigSchema>;
