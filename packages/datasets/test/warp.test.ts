import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetaLearnError, createRng } from '@metalearn/core';
import { affineWarpImage, createUint8ImageDataset, rotationIndexMap, warpDataset } from '@metalearn/datasets';

/** A 5x5 one-channel image with a single 1 at (row, col). */
const dot = (row: number, col: number) => {
  const a = new Float32Array(25);
  a[row * 5 + col] = 1;
  return a;
};
const where = (a: Float32Array) => [...a].flatMap((v, i) => (Math.abs(v) > 1e-6 ? [[Math.floor(i / 5), i % 5, +v.toFixed(6)]] : []));

test('identity warp returns the image (1e-7); rotationDeg 90 equals the 90° class rotation (counter-clockwise)', () => {
  const rng = createRng(2);
  const img = Float32Array.from({ length: 28 * 28 * 2 }, () => rng.next());
  const same = affineWarpImage(img, 28, 28, 2, {});
  assert.ok(same.every((v, i) => Math.abs(v - img[i]!) < 1e-7));
  const one = Float32Array.from({ length: 784 }, () => rng.next());
  const rot = affineWarpImage(one, 28, 28, 1, { rotationDeg: 90 });
  const map = rotationIndexMap(28, 90);
  let worst = 0;
  for (let p = 0; p < 784; p++) worst = Math.max(worst, Math.abs(rot[p]! - one[map[p]!]!));
  assert.ok(worst < 1e-5, `max |warp - index rotation| = ${worst}`);
});

test('shear moves a point right by shear * y; scale moves it away from the centre; translation shifts (hand-computed)', () => {
  // centre (2, 2); the dot at row 4, col 1 has y = +2, x = -1.
  assert.deepEqual(where(affineWarpImage(dot(4, 1), 5, 5, 1, { shear: 1 })), [[4, 3, 1]], 'x + 1 * 2 = +1 -> col 3');
  assert.deepEqual(where(affineWarpImage(dot(4, 1), 5, 5, 1, { shear: -0.5 })), [[4, 0, 1]], 'x - 0.5 * 2 = -2 -> col 0');
  // x = 1 scaled by 2 lands on col 4; magnified, the dot spreads bilinearly over its neighbours
  // (output col 3 samples x = 0.5, rows 1 and 3 sample y = -/+0.5).
  assert.deepEqual(where(affineWarpImage(dot(2, 3), 5, 5, 1, { scale: 2 })), [[1, 3, 0.25], [1, 4, 0.5], [2, 3, 0.5], [2, 4, 1], [3, 3, 0.25], [3, 4, 0.5]]);
  assert.deepEqual(where(affineWarpImage(dot(1, 1), 5, 5, 1, { translatePx: [2, 1] })), [[2, 3, 1]]);
  // A half-pixel shift splits the dot bilinearly.
  assert.deepEqual(where(affineWarpImage(dot(2, 2), 5, 5, 1, { translatePx: [0.5, 0] })), [[2, 2, 0.5], [2, 3, 0.5]]);
  // Scaling down by 2 pulls the far corner to the centre's neighbour and leaves empty (0) borders.
  const full = new Float32Array(25).fill(1);
  const small = affineWarpImage(full, 5, 5, 1, { scale: 0.5 });
  assert.equal(small[0], 0, 'outside the source is 0');
  assert.equal(small[12], 1);
});

test('warpDataset: a view with the same classes whose examples are the warped images; bad warps rejected', () => {
  const pixels = Uint8Array.from({ length: 2 * 25 }, (_, i) => (i % 25 === 7 ? 255 : 0)); // dot at (1, 2)
  const ds = createUint8ImageDataset('dots', [5, 5, 1], pixels, [{ id: 'a', firstExample: 0, count: 2 }]);
  const w = warpDataset(ds, { translatePx: [1, 2] });
  assert.deepEqual(w.classIds, ['a']);
  assert.equal(w.exampleCount(0), 2);
  const out = new Float32Array(30);
  w.writeExample(0, 1, out, 5);
  assert.deepEqual(where(out.subarray(5)), [[3, 3, 1]]);
  assert.throws(() => warpDataset(ds, { scale: 0 }), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message.includes('warpDataset: warp.scale must be > 0'));
  assert.throws(() => warpDataset(ds, { shear: NaN }), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message.includes('warp.shear must be finite'));
  assert.throws(() => affineWarpImage(new Float32Array(3), 2, 2, 1, {}), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message.startsWith('affineWarpImage: src'));
});
