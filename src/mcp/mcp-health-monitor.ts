/**
 * The health monitor of one upstream MCP server: a `ping` every `intervalMs`; after
 * `failureThreshold` consecutive failures `onUnhealthy` is called once (the upstream is then marked
 * disconnected and reconnected with {@link reconnectDelayMs} backoff by its owner).
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/utilities/ping
 */

/** Timer functions, injectable so tests can drive time. */
export interface MonitorTimers {
  setTimeout(callback: () => void, delayMs: number): NodeJS.Timeout;
  clearTimeout(timer: NodeJS.Timeout): void;
}

export const REAL_TIMERS: MonitorTimers = {
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (timer) => clearTimeout(timer),
};

export interface McpHealthMonitorOptions {
  intervalMs: number;
  failureThreshold: number;
  /** One health check; rejects when the upstream is unhealthy. */
  check(): Promise<void>;
  /** Called once when the threshold is reached; the monitor stops itself first. */
  onUnhealthy(lastError: unknown): void;
  /** Called after each failed check with the running count. */
  onFailure?(consecutiveFailures: number, error: unknown): void;
  timers?: MonitorTimers;
}

/** Pings on an interval and counts consecutive failures. */
export class McpHealthMonitor {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private failures = 0;
  private readonly timers: MonitorTimers;

  constructor(private readonly options: McpHealthMonitorOptions) {
    this.timers = options.timers ?? REAL_TIMERS;
  }

  /** Consecutive failed checks so far. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.failures = 0;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = this.timers.setTimeout(() => void this.tick(), this.options.intervalMs);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    try {
      await this.options.check();
      this.failures = 0;
    } catch (error) {
      if (!this.running) return;
      this.failures += 1;
      this.options.onFailure?.(this.failures, error);
      if (this.failures >= this.options.failureThreshold) {
        this.stop();
        this.options.onUnhealthy(error);
        return;
      }
    }
    this.schedule();
  }
}

/**
 * Exponential backoff: `initialMs · 2^attempt`, capped at `maxMs` (attempt 0 is the first retry).
 */
export function reconnectDelayMs(attempt: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
}
