import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetaLearnError } from '@metalearn/core';
import { meanCi95, quantile } from '../src/stats.js';

test('meanCi95 gives 1.96 s / sqrt(n) with the unbiased s', () => {
  // xs = 1..5: mean 3, s^2 = 10 / 4 = 2.5
  const r = meanCi95([1, 2, 3, 4, 5]);
  assert.equal(r.mean, 3);
  assert.ok(Math.abs(r.std - Math.sqrt(2.5)) < 1e-12);
  assert.ok(Math.abs(r.ci95 - (1.96 * Math.sqrt(2.5)) / Math.sqrt(5)) < 1e-12);
  assert.equal(meanCi95([0.5]).ci95, 0);
  assert.throws(() => meanCi95([]), (e) => MetaLearnError.is(e, 'invalidArgument'));
  assert.throws(() => meanCi95([1, NaN]), (e) => MetaLearnError.is(e, 'nonFinite') && /xs\[1\]/.test((e as Error).message));
});

test('quantile interpolates between order statistics', () => {
  assert.equal(quantile([3, 1, 2, 4], 0.5), 2.5);
  assert.equal(quantile([10, 20, 30], 0.95), 29);
  assert.equal(quantile([7], 0.95), 7);
});
