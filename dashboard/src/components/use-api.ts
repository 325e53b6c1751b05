import { useCallback, useEffect, useState } from 'react';

/** The state of one API read: its value, its error message, and a way to load it again. */
export interface ApiData<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => Promise<void>;
}

/** Runs `load` now and whenever `dependencies` change; `reload` runs it again on demand. */
export function useApi<T>(load: () => Promise<T>, dependencies: readonly unknown[] = []): ApiData<T> {
  const [data, setData] = useState<T | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const stableLoad = useCallback(load, dependencies);
  const reload = useCallback(async () => {
    setLoading(true);
    try {
      setData(await stableLoad());
      setError(undefined);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setLoading(false);
    }
  }, [stableLoad]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, loading, reload };
}
