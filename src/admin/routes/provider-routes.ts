import type { Static } from '@sinclair/typebox';
import type { ProviderConfig } from '../../config/config-schema.js';
import { ConfigError } from '../../config/load-config.js';
import { publicProvider, publicProviderKey } from '../../governance/public-views.js';
import { providerConfigFromRecord } from '../../governance/start-governance.js';
import type { ProviderRecord, ProviderTimeoutsRecord } from '../../storage/records.js';
import type { NewProvider, NewProviderKey, ProviderKeyPatch, ProviderPatch } from '../../storage/repositories/provider-repository.js';
import { AdminApiError, invalidField } from '../admin-api-errors.js';
import {
  listOf,
  PROVIDER_COMMON_FIELDS,
  PROVIDER_KEY_COMMON_FIELDS,
  ProviderCreateSchema,
  ProviderKeyCreateSchema,
  ProviderKeySchema,
  ProviderKeyUpdateSchema,
  ProviderSchema,
  ProviderUpdateSchema,
} from '../admin-api-schemas.js';
import { findProvider, findProviderKey } from '../admin-references.js';
import { defineRoute, type AdminRoute, type AdminServices } from '../admin-router.js';
import { checkProviderEntry } from '../served-providers.js';

/**
 * Provider instances and their keys. Bodies take the config file's shapes (a `providers.<name>`
 * entry; a key entry), so what works in the file works here. Before anything is stored the
 * resulting entry must load as the gateway would load it (kind known, base URL, a key where the
 * kind needs one, `env.NAME` values set), else 400 naming the field. Responses mask every secret.
 * After a change the served providers are rebuilt (this replica before the response; others on the
 * change notification). `{name}` is a provider's name or id; `{key}` a key's name or id.
 */

type ProviderEntry = Record<string, unknown>;

const providerCommon = new Set<string>(PROVIDER_COMMON_FIELDS);
const keyCommon = new Set<string>(PROVIDER_KEY_COMMON_FIELDS);

/** The fields of `entry` not in `common`: kind-specific options, stored encrypted. */
function optionsOf(entry: ProviderEntry, common: ReadonlySet<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entry).filter(([field, value]) => !common.has(field) && value !== undefined));
}

function timeoutsOf(timeouts: ProviderConfig['timeouts']): ProviderTimeoutsRecord {
  return { connectMs: timeouts?.connect_ms, firstByteMs: timeouts?.first_byte_ms, idleMs: timeouts?.idle_ms };
}

/** A key entry of the config's shape as a new stored key (the name given, or `<provider>-key-<n>`). */
function newKeyOf(providerName: string, key: ProviderEntry, index: number): NewProviderKey {
  return {
    name: typeof key.name === 'string' ? key.name : `${providerName}-key-${index + 1}`,
    value: key.value as string,
    weight: key.weight as number | undefined,
    models: key.models as string[] | undefined,
    deployments: key.deployments as Record<string, string> | undefined,
    options: optionsOf(key, keyCommon),
  };
}

/** `entry` with `patch` applied: given fields replace, `null` removes. */
function patched(entry: ProviderEntry, patch: Record<string, unknown>): ProviderEntry {
  const next: ProviderEntry = { ...entry };
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) delete next[field];
    else next[field] = value;
  }
  return next;
}

/** The stored provider as a config entry (secrets in memory only, for the load check). */
function entryOf(provider: ProviderRecord): ProviderEntry {
  return providerConfigFromRecord(provider);
}

/** @throws AdminApiError 400 when the entry would not load */
function checkEntry(name: string, entry: ProviderEntry, services: AdminServices): void {
  checkProviderEntry(name, entry, services.environment);
}

/** @throws AdminApiError 409 when a routing rule or alias of the config targets the provider */
function checkRemovable(name: string, services: AdminServices): void {
  try {
    services.servedProviders?.checkRemoval(name);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new AdminApiError(409, 'conflict_error', `provider '${name}' is used by the config's routing: ${error.message.replace(/\s*\n\s*/g, '; ')}`, { code: 'in_use' });
  }
}

async function providersChanged(services: AdminServices): Promise<void> {
  await services.servedProviders?.reload();
}

async function createProvider(body: Static<typeof ProviderCreateSchema>, services: AdminServices): Promise<ProviderRecord> {
  const { name, ...entry } = body;
  const keys = (entry.keys ?? []) as ProviderEntry[];
  const newKeys = keys.map((key, index) => newKeyOf(name, key, index));
  const names = new Set<string>();
  newKeys.forEach((key, index) => {
    if (names.has(key.name)) throw invalidField(`keys.${index}.name`, `a second key named '${key.name}'`);
    names.add(key.name);
  });
  checkEntry(name, entry, services);
  const provider: NewProvider = {
    name,
    type: entry.type ?? name,
    baseUrl: entry.base_url?.replace(/\/+$/, ''),
    headers: entry.headers,
    models: entry.models,
    maxOutputTokens: entry.max_output_tokens,
    timeouts: timeoutsOf(entry.timeouts),
    options: optionsOf(entry, providerCommon),
  };
  const admin = services.governance.admin;
  const created = await admin.createProvider(provider);
  try {
    for (const key of newKeys) await admin.addProviderKey(created.id, key);
  } catch (error) {
    await admin.deleteProvider(created.id).catch(() => undefined);
    throw error;
  }
  await providersChanged(services);
  return (await services.governance.store.providers.get(created.id)) as ProviderRecord;
}

async function updateProvider(reference: string, body: Static<typeof ProviderUpdateSchema>, services: AdminServices): Promise<ProviderRecord> {
  const current = await findProvider(services.governance.store, reference);
  const { name, ...fields } = body;
  const next = patched(entryOf(current), fields);
  const nextName = name ?? current.name;
  checkEntry(nextName, next, services);
  if (nextName !== current.name) checkRemovable(current.name, services);
  const patch: ProviderPatch = {
    name,
    type: fields.type,
    headers: fields.headers,
    models: fields.models,
    ...(fields.base_url === undefined ? {} : { baseUrl: fields.base_url === null ? null : fields.base_url.replace(/\/+$/, '') }),
    ...(fields.max_output_tokens === undefined ? {} : { maxOutputTokens: fields.max_output_tokens }),
    ...(fields.timeouts === undefined ? {} : { timeouts: timeoutsOf(fields.timeouts) }),
  };
  if (Object.keys(fields).some((field) => !providerCommon.has(field))) patch.options = optionsOf(next, providerCommon);
  const updated = await services.governance.admin.updateProvider(current.id, patch);
  await providersChanged(services);
  return updated;
}

export const providerRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/api/providers',
    operationId: 'listProviders',
    summary: 'List providers (secrets masked)',
    tag: 'providers',
    success: { status: 200, description: 'Every stored provider with its keys, by name.', schema: listOf(ProviderSchema) },
    handler: async ({ services }) => ({ status: 200, body: { data: (await services.governance.admin.listProviders()).map(publicProvider) } }),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/providers',
    operationId: 'createProvider',
    summary: 'Add a provider (served at once, no restart)',
    description: 'The body is a config file `providers.<name>` entry plus `name`; `keys` may be given here or added later under /keys.',
    tag: 'providers',
    body: ProviderCreateSchema,
    success: { status: 201, description: 'The provider, secrets masked.', schema: ProviderSchema },
    errors: [409],
    handler: async ({ body, services }) => ({ status: 201, body: publicProvider(await createProvider(body, services)) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/api/providers/{name}',
    operationId: 'getProvider',
    summary: 'Get a provider (secrets masked)',
    tag: 'providers',
    success: { status: 200, description: 'The provider.', schema: ProviderSchema },
    errors: [404],
    handler: async ({ params, services }) => ({ status: 200, body: publicProvider(await findProvider(services.governance.store, params.name)) }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/providers/{name}',
    operationId: 'updateProvider',
    summary: 'Change a provider',
    tag: 'providers',
    body: ProviderUpdateSchema,
    success: { status: 200, description: 'The provider as changed.', schema: ProviderSchema },
    errors: [404, 409],
    handler: async ({ params, body, services }) => ({ status: 200, body: publicProvider(await updateProvider(params.name, body, services)) }),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/providers/{name}',
    operationId: 'deleteProvider',
    summary: 'Delete a provider and its keys (no longer served)',
    description: 'Refused (409) while a routing rule or alias of the config targets it.',
    tag: 'providers',
    success: { status: 204, description: 'Deleted.' },
    errors: [404, 409],
    handler: async ({ params, services }) => {
      const provider = await findProvider(services.governance.store, params.name);
      checkRemovable(provider.name, services);
      await services.governance.admin.deleteProvider(provider.id);
      await providersChanged(services);
      return { status: 204 };
    },
  }),

  defineRoute({
    method: 'GET',
    path: '/api/providers/{name}/keys',
    operationId: 'listProviderKeys',
    summary: "List a provider's keys (values masked)",
    tag: 'providers',
    success: { status: 200, description: 'The keys, by name.', schema: listOf(ProviderKeySchema) },
    errors: [404],
    handler: async ({ params, services }) => ({
      status: 200,
      body: { data: (await findProvider(services.governance.store, params.name)).keys.map(publicProviderKey) },
    }),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/providers/{name}/keys',
    operationId: 'createProviderKey',
    summary: 'Add a key to a provider',
    tag: 'providers',
    body: ProviderKeyCreateSchema,
    success: { status: 201, description: 'The key, value masked.', schema: ProviderKeySchema },
    errors: [404, 409],
    handler: async ({ params, body, services }) => {
      const provider = await findProvider(services.governance.store, params.name);
      const entry = entryOf(provider);
      checkEntry(provider.name, { ...entry, keys: [...((entry.keys as ProviderEntry[] | undefined) ?? []), body] }, services);
      const key = await services.governance.admin.addProviderKey(provider.id, newKeyOf(provider.name, body, provider.keys.length));
      await providersChanged(services);
      return { status: 201, body: publicProviderKey(key) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/providers/{name}/keys/{key}',
    operationId: 'getProviderKey',
    summary: 'Get a provider key (value masked)',
    tag: 'providers',
    success: { status: 200, description: 'The key.', schema: ProviderKeySchema },
    errors: [404],
    handler: async ({ params, services }) => ({
      status: 200,
      body: publicProviderKey(findProviderKey(await findProvider(services.governance.store, params.name), params.key)),
    }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/providers/{name}/keys/{key}',
    operationId: 'updateProviderKey',
    summary: 'Change a provider key (new value, weight, models, …)',
    tag: 'providers',
    body: ProviderKeyUpdateSchema,
    success: { status: 200, description: 'The key as changed.', schema: ProviderKeySchema },
    errors: [404, 409],
    handler: async ({ params, body, services }) => {
      const provider = await findProvider(services.governance.store, params.name);
      const key = findProviderKey(provider, params.key);
      const entry = entryOf(provider);
      const keyEntries = (entry.keys as ProviderEntry[] | undefined) ?? [];
      const index = provider.keys.indexOf(key);
      const nextKey = patched(keyEntries[index], body);
      checkEntry(provider.name, { ...entry, keys: keyEntries.map((candidate, position) => (position === index ? nextKey : candidate)) }, services);
      const patch: ProviderKeyPatch = {
        name: body.name ?? undefined,
        value: body.value ?? undefined,
        weight: body.weight ?? undefined,
        models: body.models ?? undefined,
        deployments: body.deployments ?? undefined,
      };
      if (Object.keys(body).some((field) => !keyCommon.has(field))) patch.options = optionsOf(nextKey, keyCommon);
      const updated = await services.governance.admin.updateProviderKey(key.id, patch);
      await providersChanged(services);
      return { status: 200, body: publicProviderKey(updated) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/providers/{name}/keys/{key}',
    operationId: 'deleteProviderKey',
    summary: 'Delete a provider key',
    description: 'Refused (409) when it is the last key of a provider kind that needs one.',
    tag: 'providers',
    success: { status: 204, description: 'Deleted.' },
    errors: [404, 409],
    handler: async ({ params, services }) => {
      const provider = await findProvider(services.governance.store, params.name);
      const key = findProviderKey(provider, params.key);
      const entry = entryOf(provider);
      const index = provider.keys.indexOf(key);
      try {
        checkEntry(provider.name, { ...entry, keys: ((entry.keys as ProviderEntry[] | undefined) ?? []).filter((_, position) => position !== index) }, services);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        throw new AdminApiError(409, 'conflict_error', `cannot delete key '${key.name}': ${error.message}; add another key first`, { code: 'in_use' });
      }
      await services.governance.admin.deleteProviderKey(key.id);
      await providersChanged(services);
      return { status: 204 };
    },
  }),
];
