import type { ProviderClient, ProviderInstance } from './provider.js';

const clients = new WeakMap<ProviderInstance, ProviderClient>();

/** The client of a configured provider instance, created once and reused for every request. */
export function clientForInstance(instance: ProviderInstance): ProviderClient {
  let client = clients.get(instance);
  if (client === undefined) {
    client = instance.definition.createClient(instance);
    clients.set(instance, client);
  }
  return client;
}
