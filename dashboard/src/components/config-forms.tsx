import { useEffect, useState } from 'react';

/** Form helpers of the gateway-configuration pages (Providers, Routing rules, Settings). */

/** `a, b,c` or one per line → `['a', 'b', 'c']` (blank entries dropped). */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** A list as text for an input. */
export function joinList(items: readonly string[]): string {
  return items.join(', ');
}

/** The message of a thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Edits a name → value map (model → deployment) as rows of two inputs; `onSave` gets the map
 * without blank rows.
 */
export function MappingEditor({
  value,
  onSave,
  keyLabel = 'Model',
  valueLabel = 'Deployment',
  testId,
}: {
  value: Readonly<Record<string, string>>;
  onSave: (next: Record<string, string>) => Promise<void>;
  keyLabel?: string;
  valueLabel?: string;
  testId?: string;
}) {
  const [rows, setRows] = useState<Array<[string, string]>>(() => Object.entries(value));
  const [saving, setSaving] = useState(false);
  useEffect(() => setRows(Object.entries(value)), [value]);
  const update = (index: number, column: 0 | 1, text: string) =>
    setRows((current) => current.map((row, position) => (position === index ? (column === 0 ? [text, row[1]] : [row[0], text]) : row)));
  const save = async () => {
    setSaving(true);
    try {
      await onSave(Object.fromEntries(rows.filter(([name, target]) => name.trim() !== '' && target.trim() !== '').map(([name, target]) => [name.trim(), target.trim()])));
    } finally {
      setSaving(false);
    }
  };
  return (
    <div className="mapping-editor" data-testid={testId}>
      {rows.length === 0 && <div className="muted">No mappings: models go upstream under their own names.</div>}
      {rows.map(([name, target], index) => (
        <div className="mapping-row" key={index}>
          <input aria-label={keyLabel} placeholder={keyLabel} value={name} onChange={(event) => update(index, 0, event.target.value)} />
          <span className="muted">→</span>
          <input aria-label={valueLabel} placeholder={valueLabel} value={target} onChange={(event) => update(index, 1, event.target.value)} />
          <button type="button" className="link-button" onClick={() => setRows((current) => current.filter((_, position) => position !== index))}>
            remove
          </button>
        </div>
      ))}
      <div className="mapping-actions">
        <button type="button" className="secondary" onClick={() => setRows((current) => [...current, ['', '']])}>
          Add mapping
        </button>
        <button type="button" disabled={saving} onClick={() => void save()}>
          Save mappings
        </button>
      </div>
    </div>
  );
}
