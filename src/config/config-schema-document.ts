import { HeimdallConfigSchema } from './config-schema.js';

/** The config schema as a standalone JSON Schema document (draft 2020-12), as published in `schema/`. */
export function configSchemaDocument(): Record<string, unknown> {
  const schema = JSON.parse(JSON.stringify(HeimdallConfigSchema)) as Record<string, unknown>;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Heimdall gateway configuration',
    ...schema,
  };
}
