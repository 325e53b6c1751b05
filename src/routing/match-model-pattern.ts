/**
 * Whether a model name matches a pattern: an exact name, `*` for any, or a glob where `*` stands
 * for any run of characters (`gpt-5*`, `*-mini`, `claude-*-4-6`). Case-sensitive.
 */
export function matchesModelPattern(pattern: string, model: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*')) return pattern === model;
  const pieces = pattern.split('*');
  const first = pieces[0];
  const last = pieces[pieces.length - 1];
  if (!model.startsWith(first) || model.length < first.length + last.length || !model.endsWith(last)) return false;
  let position = first.length;
  const end = model.length - last.length;
  for (let index = 1; index < pieces.length - 1; index += 1) {
    const found = model.indexOf(pieces[index], position);
    if (found === -1 || found + pieces[index].length > end) return false;
    position = found + pieces[index].length;
  }
  return true;
}

/** Whether any of `patterns` matches `model`. */
export function matchesAnyModelPattern(patterns: readonly string[], model: string): boolean {
  for (const pattern of patterns) if (matchesModelPattern(pattern, model)) return true;
  return false;
}
