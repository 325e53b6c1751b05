import { Type, type TSchema } from '@sinclair/typebox';
import { AdminApiError, invalidField } from '../admin-api-errors.js';
import { defineRoute, type AdminRoute, type AdminServices } from '../admin-router.js';
import { InvalidRuntimeSettingError, type RuntimeSettings } from '../runtime-settings.js';

/**
 * `GET/PUT /api/settings`: the gateway settings changeable at run time (CORS, auth enforcement on
 * inference, request logging and retention; see `runtime-settings.ts`). Saved in the store, applied
 * at once on every replica, never a secret.
 */

const Origins = Type.Array(Type.String({ minLength: 1, maxLength: 512 }), { maxItems: 200, description: 'Origins (scheme://host[:port]) allowed by CORS; ["*"] for any.' });
const CorsHeaders = Type.Union([Type.Literal('*'), Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 200 })], {
  description: 'Request headers allowed by CORS beyond the defaults, or "*" for any.',
});
const Retention = Type.Integer({ minimum: 1, maximum: 3650, description: 'Days request-log records are kept.' });

const SETTING_SCHEMAS = {
  cors_allowed_origins: Origins,
  cors_allowed_headers: CorsHeaders,
  enforce_auth_on_inference: Type.Boolean({ description: 'Every inference request needs a valid virtual key.' }),
  request_logging: Type.Boolean({ description: 'Requests are written to the request log.' }),
  log_content: Type.Boolean({ description: 'The request log keeps prompts and answers (a virtual key may still turn it off).' }),
  log_retention_days: Retention,
} satisfies Record<string, TSchema>;

const SettingValuesSchema = Type.Object(SETTING_SCHEMAS);
const Source = Type.Union([Type.Literal('config'), Type.Literal('api')]);

const SettingsSchema = Type.Object(
  {
    settings: SettingValuesSchema,
    sources: Type.Object(
      {
        cors_allowed_origins: Source,
        cors_allowed_headers: Source,
        enforce_auth_on_inference: Source,
        request_logging: Source,
        log_content: Source,
        log_retention_days: Source,
      },
      { description: 'Where each value in force comes from: the config file, or saved here.' },
    ),
    config: SettingValuesSchema,
    default_cors_headers: Type.Array(Type.String(), { description: 'CORS request headers always allowed.' }),
  },
  { description: 'The settings in force, where each comes from, and the config file\'s values.' },
);

const SettingsUpdateSchema = Type.Object(
  {
    cors_allowed_origins: Type.Optional(Type.Union([Origins, Type.Null()])),
    cors_allowed_headers: Type.Optional(Type.Union([CorsHeaders, Type.Null()])),
    enforce_auth_on_inference: Type.Optional(Type.Union([SETTING_SCHEMAS.enforce_auth_on_inference, Type.Null()])),
    request_logging: Type.Optional(Type.Union([SETTING_SCHEMAS.request_logging, Type.Null()])),
    log_content: Type.Optional(Type.Union([SETTING_SCHEMAS.log_content, Type.Null()])),
    log_retention_days: Type.Optional(Type.Union([Retention, Type.Null()])),
  },
  { additionalProperties: false, description: 'Settings to change; null goes back to the config file\'s value; absent ones stay.' },
);

function runtimeSettingsOf(services: AdminServices): RuntimeSettings {
  if (services.runtimeSettings === undefined) {
    throw new AdminApiError(500, 'api_error', 'settings are not available: the admin API runs without a gateway', { code: 'settings_unavailable' });
  }
  return services.runtimeSettings;
}

export const settingsRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/api/settings',
    operationId: 'getSettings',
    summary: 'Gateway settings changeable at run time',
    tag: 'settings',
    success: { status: 200, description: 'The settings.', schema: SettingsSchema },
    handler: async ({ services }) => ({ status: 200, body: runtimeSettingsOf(services).view() }),
  }),
  defineRoute({
    method: 'PUT',
    path: '/api/settings',
    operationId: 'updateSettings',
    summary: 'Change gateway settings (applied at once, on every replica, kept across restarts)',
    tag: 'settings',
    body: SettingsUpdateSchema,
    success: { status: 200, description: 'The settings as changed.', schema: SettingsSchema },
    handler: async ({ body, services }) => {
      try {
        return { status: 200, body: await runtimeSettingsOf(services).update(body) };
      } catch (error) {
        if (error instanceof InvalidRuntimeSettingError) throw invalidField(error.setting, error.message.slice(error.setting.length + 2));
        throw error;
      }
    },
  }),
];
