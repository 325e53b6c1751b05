import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { configSchemaDocument } from './config-schema-document.js';

it('the published schema/heimdall.config.schema.json matches the schema the gateway validates with (run `npm run schema`)', () => {
  const published = JSON.parse(readFileSync(new URL('../../schema/heimdall.config.schema.json', import.meta.url), 'utf8')) as unknown;
  assert.deepEqual(published, configSchemaDocument());
});
