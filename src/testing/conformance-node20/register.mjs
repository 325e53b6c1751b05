// Loaded with `node --import` to run @modelcontextprotocol/conformance on Node 20: its bundle
// imports `globSync` from 'fs' (Node ≥ 22) at the top, though only its `tier-check` command uses
// it. This resolve hook hands the conformance bundle an 'fs' whose `globSync` throws a clear error
// (server mode never calls it).
import { register } from 'node:module';

register(new URL('./resolve-hooks.mjs', import.meta.url));
