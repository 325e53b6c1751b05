import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogQueryError, statsShapeFromQuery } from './observability-routes.js';

test('/api/logs/stats: bucket, group_by and group_limit parameters', () => {
  assert.deepEqual(statsShapeFromQuery(new URLSearchParams('')), { bucketMs: undefined, groupBy: [], groupLimit: 10 });
  assert.deepEqual(statsShapeFromQuery(new URLSearchParams('bucket=5m&group_by=provider, model,provider&group_limit=3')), {
    bucketMs: 300_000,
    groupBy: ['provider', 'model'],
    groupLimit: 3,
  });
  assert.throws(() => statsShapeFromQuery(new URLSearchParams('bucket=500ms')), LogQueryError);
  assert.throws(() => statsShapeFromQuery(new URLSearchParams('bucket=hourly')), /bucket: expected a duration/);
  assert.throws(() => statsShapeFromQuery(new URLSearchParams('group_by=provider,colour')), /group_by: colour is not one of provider, model, virtual_key/);
  assert.throws(() => statsShapeFromQuery(new URLSearchParams('group_limit=0')), /group_limit/);
});
