import assert from 'node:assert/strict';
import { it } from 'node:test';
import { LoginThrottle } from './login-throttle.js';

it('refuses after maxFailures within the window until the oldest failure leaves it; success clears the user name', () => {
  let now = 1_000_000;
  const throttle = new LoginThrottle({ maxFailures: 3, windowMs: 60_000 }, () => now);
  const keys = ['user:alice', 'address:10.0.0.1'];
  for (let attempt = 0; attempt < 3; attempt += 1) {
    assert.equal(throttle.retryAfterMs(keys), 0);
    throttle.recordFailure(keys);
    now += 1_000;
  }
  assert.equal(throttle.retryAfterMs(keys), 57_000);
  assert.equal(throttle.retryAfterMs(['user:bob', 'address:10.0.0.1']), 57_000, 'the address is throttled too');
  assert.equal(throttle.retryAfterMs(['user:bob', 'address:10.0.0.2']), 0);
  now += 57_000;
  assert.equal(throttle.retryAfterMs(keys), 0);
  throttle.recordFailure(keys);
  throttle.clear('user:alice');
  assert.equal(throttle.retryAfterMs(['user:alice']), 0);
});
