/** Comma- or newline-separated text as a list (empty entries dropped), and back. */
export function splitList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

export function joinList(values: readonly string[] | null | undefined): string {
  return (values ?? []).join(', ');
}

/**
 * Allowed-model and allowed-provider lists: `['*']` allows everything and an empty list nothing,
 * so an empty field in a form stands for `['*']`.
 */
export function patternsOrAll(text: string): string[] {
  const patterns = splitList(text);
  return patterns.length === 0 ? ['*'] : patterns;
}

/** Whether a pattern list allows everything. */
export function allowsAll(patterns: readonly string[]): boolean {
  return patterns.includes('*');
}

/** A pattern list as a form field: empty for “all”. */
export function editablePatterns(patterns: readonly string[]): string {
  return allowsAll(patterns) ? '' : joinList(patterns);
}
