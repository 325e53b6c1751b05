import { useCallback, useEffect, useRef, useState } from 'react';

/** The state of one API read: its value, its error message, and a way to load it again. */
export interface ApiData<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => Promise<void>;
}

/**
 * Runs `load` now and whenever `dependencies` change; `reload` runs it again on demand. Only the
 * latest call's answer is kept (an older one arriving late is dropped), and none after unmount.
 */
export function useApi<T>(load: () => Promise<T>, dependencies: readonly unknown[] = []): ApiData<T> {
  const [data, setData] = useState<T | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const latest = useRef(0);
  const stableLoad = useCallback(load, dependencies);
  const reload = useCallback(async () => {
    const call = ++latest.current;
    setLoading(true);
    try {
      const value = await stableLoad();
      if (call !== latest.current) return;
      setData(value);
      setError(undefined);
    } catch (failure) {
      if (call !== latest.current) return;
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      if (call === latest.current) setLoading(false);
    }
  }, [stableLoad]);
  useEffect(() => {
    void reload();
    return () => {
      latest.current += 1; // unmounted or reloading for new dependencies: drop answers in flight
    };
  }, [reload]);
  return { data, error, loading, reload };
}
