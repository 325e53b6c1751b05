import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { McpHealthMonitor, reconnectDelayMs, type MonitorTimers } from './mcp-health-monitor.js';

/** Timers driven by hand: `fire()` runs the pending callback. */
function manualTimers(): MonitorTimers & { pending: number; fire(): Promise<void>; delays: number[] } {
  let callback: (() => void) | undefined;
  const delays: number[] = [];
  return {
    delays,
    get pending() {
      return callback === undefined ? 0 : 1;
    },
    setTimeout: (next, delayMs) => {
      callback = next;
      delays.push(delayMs);
      return { unref: () => undefined } as unknown as NodeJS.Timeout;
    },
    clearTimeout: () => {
      callback = undefined;
    },
    fire: async () => {
      const current = callback;
      callback = undefined;
      current?.();
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

describe('McpHealthMonitor', () => {
  it('reports unhealthy once, after the threshold of consecutive failures, and stops', async () => {
    const timers = manualTimers();
    let healthy = true;
    const unhealthy: unknown[] = [];
    const monitor = new McpHealthMonitor({
      intervalMs: 1000,
      failureThreshold: 5,
      timers,
      check: () => (healthy ? Promise.resolve() : Promise.reject(new Error('ping failed'))),
      onUnhealthy: (error) => unhealthy.push(error),
    });
    monitor.start();
    await timers.fire();
    assert.equal(monitor.consecutiveFailures, 0);
    healthy = false;
    for (let failure = 1; failure <= 4; failure += 1) {
      await timers.fire();
      assert.equal(monitor.consecutiveFailures, failure);
    }
    assert.equal(unhealthy.length, 0);
    await timers.fire();
    assert.equal(unhealthy.length, 1);
    assert.equal(timers.pending, 0, 'the monitor stops itself');
    assert.ok(timers.delays.every((delay) => delay === 1000));
  });

  it('resets the count after a successful check', async () => {
    const timers = manualTimers();
    const outcomes = [false, false, false, false, true, false, false, false, false];
    const unhealthy: unknown[] = [];
    const monitor = new McpHealthMonitor({
      intervalMs: 10,
      failureThreshold: 5,
      timers,
      check: () => (outcomes.shift() === true ? Promise.resolve() : Promise.reject(new Error('down'))),
      onUnhealthy: (error) => unhealthy.push(error),
    });
    monitor.start();
    for (let tick = 0; tick < 9; tick += 1) await timers.fire();
    assert.equal(unhealthy.length, 0);
    assert.equal(monitor.consecutiveFailures, 4);
  });
});

describe('reconnectDelayMs', () => {
  it('doubles from the initial delay up to the cap', () => {
    assert.deepEqual([0, 1, 2, 3, 10].map((attempt) => reconnectDelayMs(attempt, 1000, 60_000)), [1000, 2000, 4000, 8000, 60_000]);
  });
});
