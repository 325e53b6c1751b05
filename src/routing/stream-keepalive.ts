/**
 * Keeping a streamed request's connection alive while it waits for its first upstream token (a
 * slow start, retries, fallbacks). After `firstPingMs` without an answer the response is committed
 * as `200 text/event-stream` and an Anthropic `ping` event is sent, then one every
 * `pingIntervalMs` until the answer starts. From the commit on, a final failure can only be an SSE
 * `error` event (the status line is gone), and the answer's own events follow the pings.
 *
 * One shared ticker serves every waiting request: no timer per request; the ticker runs only while
 * some request waits, and does not keep the process alive.
 *
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming#event-types
 * @see ../../docs/architecture.md#keep-alive-while-waiting
 */

/** Keep-alive timing, ms. */
export interface KeepAliveSettings {
  /** Wait before committing the response and sending the first `ping`, ms. */
  firstPingMs: number;
  /** Wait between pings after that, ms. */
  pingIntervalMs: number;
}

/** Defaults: commit and first ping after 2 s without an answer, then a ping every 5 s. */
export const DEFAULT_KEEPALIVE_SETTINGS: Readonly<KeepAliveSettings> = { firstPingMs: 2_000, pingIntervalMs: 5_000 };

/** Writes one Anthropic event (`ping`, `error`, …) to the committed response. */
export type KeepAliveEventWriter = (type: string, payload: Record<string, unknown>) => void;

/** One request waiting for its first upstream token. */
export class StreamKeepAlive {
  private nextPingAtMs: number;
  private writer: KeepAliveEventWriter | undefined;
  private stopped = false;
  /** Pings sent so far. */
  pings = 0;

  /** @param commit commits the response (status and headers) and returns the writer for its events */
  constructor(
    private readonly ticker: KeepAliveTicker,
    private readonly commit: () => KeepAliveEventWriter,
    startedAtMs: number,
  ) {
    this.nextPingAtMs = startedAtMs + ticker.settings.firstPingMs;
  }

  /** The writer of the committed response, once pings began; undefined while nothing was sent. */
  get committedWriter(): KeepAliveEventWriter | undefined {
    return this.writer;
  }

  /** The answer's first byte is going out (or the request ended): no more pings. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.ticker.forget(this);
  }

  /** Called by the ticker: sends a ping when one is due (committing the response first). */
  tick(nowMs: number): void {
    if (this.stopped || nowMs < this.nextPingAtMs) return;
    this.writer ??= this.commit();
    this.writer('ping', { type: 'ping' });
    this.pings += 1;
    this.nextPingAtMs = nowMs + this.ticker.settings.pingIntervalMs;
  }
}

/** The shared clock of every waiting request. */
export class KeepAliveTicker {
  private readonly waiting = new Set<StreamKeepAlive>();
  private timer: NodeJS.Timeout | undefined;
  private readonly tickMs: number;

  /**
   * @param now the clock, ms (injectable)
   * @param automatic whether the ticker runs its own interval; tests pass false and call {@link tick}
   */
  constructor(
    readonly settings: KeepAliveSettings,
    private readonly now: () => number = Date.now,
    private readonly automatic = true,
  ) {
    this.tickMs = Math.max(20, Math.min(250, Math.floor(Math.min(settings.firstPingMs, settings.pingIntervalMs) / 4)));
  }

  /** Starts watching a request; `commit` is called on its first ping. Stop it with `StreamKeepAlive.stop()`. */
  watch(commit: () => KeepAliveEventWriter): StreamKeepAlive {
    const keepAlive = new StreamKeepAlive(this, commit, this.now());
    this.waiting.add(keepAlive);
    if (this.automatic && this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), this.tickMs);
      this.timer.unref();
    }
    return keepAlive;
  }

  /** Requests currently waiting. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  /** Sends every ping that is due. */
  tick(): void {
    const nowMs = this.now();
    for (const keepAlive of this.waiting) {
      try {
        keepAlive.tick(nowMs);
      } catch {
        // The client went away: its request ends through its abort signal.
        keepAlive.stop();
      }
    }
  }

  /** @internal Called by `StreamKeepAlive.stop()`. */
  forget(keepAlive: StreamKeepAlive): void {
    this.waiting.delete(keepAlive);
    if (this.waiting.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
