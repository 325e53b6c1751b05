// Writes the published JSON Schema of the config file: schema/heimdall.config.schema.json.
import { writeFileSync } from 'node:fs';
import { configSchemaDocument } from '../src/config/config-schema-document.js';

const target = new URL('../schema/heimdall.config.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(configSchemaDocument(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
