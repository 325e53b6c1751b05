/**
 * Resolves or rejects as `promise` does, but rejects with `Error(message)` once `timeoutMs` has
 * passed first. A guard so that a hang fails the test with a message instead of blocking the run;
 * not a performance assertion (pick a limit far above the expected time).
 */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} (no outcome after ${timeoutMs} ms)`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The error `promise` rejects with; fails (rejects) when it resolves instead, or when nothing
 * happens within `timeoutMs`.
 */
export async function rejectionOf(promise: Promise<unknown>, timeoutMs: number, message: string): Promise<unknown> {
  const outcome = await withTimeout(
    promise.then(
      (value: unknown) => ({ rejected: false as const, value }),
      (error: unknown) => ({ rejected: true as const, error }),
    ),
    timeoutMs,
    message,
  );
  if (!outcome.rejected) throw new Error(`${message}: expected a rejection, got ${JSON.stringify(outcome.value)?.slice(0, 300)}`);
  return outcome.error;
}
