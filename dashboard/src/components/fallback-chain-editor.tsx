/**
 * Edits a fallback chain (`provider/model` or alias entries, tried in order) as one input per
 * entry with add, remove and move up/down. `badIndex` marks the entry the API refused (its error's
 * `param` is `fallbacks.<index>`).
 */
export function FallbackChainEditor({
  entries,
  onChange,
  label,
  badIndex,
}: {
  entries: readonly string[];
  onChange: (next: string[]) => void;
  /** Names the editor and prefixes each entry's label (`${label} 1`). */
  label: string;
  badIndex?: number | undefined;
}) {
  const replace = (index: number, value: string) => onChange(entries.map((entry, position) => (position === index ? value : entry)));
  const move = (index: number, offset: -1 | 1) => {
    const next = [...entries];
    const other = index + offset;
    if (other < 0 || other >= next.length) return;
    [next[index], next[other]] = [next[other] ?? '', next[index] ?? ''];
    onChange(next);
  };
  return (
    <fieldset className="fallback-chain" aria-label={label}>
      <legend>{label} (provider/model or alias, tried in order)</legend>
      {entries.length === 0 && <div className="muted">none</div>}
      <ol>
        {entries.map((entry, index) => (
          <li key={index} className="fallback-entry">
            <input
              aria-label={`${label} ${index + 1}`}
              aria-invalid={badIndex === index}
              className={badIndex === index ? 'invalid' : undefined}
              value={entry}
              onChange={(event) => replace(index, event.target.value)}
              placeholder="provider/model"
            />
            <button type="button" className="link-button" aria-label={`Move ${label.toLowerCase()} ${index + 1} up`} disabled={index === 0} onClick={() => move(index, -1)}>
              ↑
            </button>
            <button type="button" className="link-button" aria-label={`Move ${label.toLowerCase()} ${index + 1} down`} disabled={index === entries.length - 1} onClick={() => move(index, 1)}>
              ↓
            </button>
            <button type="button" className="link-button" aria-label={`Remove ${label.toLowerCase()} ${index + 1}`} onClick={() => onChange(entries.filter((_, position) => position !== index))}>
              remove
            </button>
          </li>
        ))}
      </ol>
      <button type="button" className="secondary" onClick={() => onChange([...entries, ''])}>
        Add fallback
      </button>
    </fieldset>
  );
}

/** The index of the chain entry an API error's `param` names (`fallbacks.2` → 2), if any. */
export function fallbackIndexOf(param: string | null | undefined): number | undefined {
  const match = /^fallbacks\.(\d+)$/.exec(param ?? '');
  return match === null ? undefined : Number(match[1]);
}
