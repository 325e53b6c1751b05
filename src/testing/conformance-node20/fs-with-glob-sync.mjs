// node:fs plus `globSync`, which Node 20 lacks; the conformance server and client modes never call it.
import fs from 'node:fs';

export * from 'node:fs';
export default fs;

export function globSync() {
  throw new Error('fs.globSync needs Node 22 or later (used only by `conformance tier-check`)');
}
