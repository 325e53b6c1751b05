// Module resolve hook: 'fs' imported from the conformance package → fs-with-glob-sync.mjs.
const replacement = new URL('./fs-with-glob-sync.mjs', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if ((specifier === 'fs' || specifier === 'node:fs') && context.parentURL?.includes('/@modelcontextprotocol/conformance/')) {
    return { url: replacement, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
