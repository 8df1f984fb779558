import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetaLearnError, createRng } from '@metalearn/core';
import { RESIZE_METHODS, resampleWeights, resizeImage } from '@metalearn/datasets';

test('resampleWeights: every row sums to 1 (1e-12) for every method and several size pairs', () => {
  for (const method of RESIZE_METHODS) {
    for (const [i, o] of [[105, 28], [28, 105], [84, 84], [7, 3], [3, 7], [1, 5], [5, 1]] as const) {
      const rows = resampleWeights(i, o, method);
      assert.equal(rows.length, o);
      for (const r of rows) {
        const sum = r.weights.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - 1) < 1e-12, `${method} ${i}->${o}: sum ${sum}`);
        assert.ok(r.start >= 0 && r.start + r.weights.length <= i, `${method} ${i}->${o}: taps inside the source`);
      }
    }
  }
});

test("area 105 -> 28: each output covers a 3.75-pixel interval with weights (1, 1, 1, 0.75) / 3.75 or shifted", () => {
  const rows = resampleWeights(105, 28, 'area');
  assert.equal(rows[0]!.start, 0);
  assert.deepEqual([...rows[0]!.weights].map((w) => w * 3.75), [1, 1, 1, 0.75]);
  assert.equal(rows[1]!.start, 3);
  assert.deepEqual([...rows[1]!.weights].map((w) => +(w * 3.75).toFixed(12)), [0.25, 1, 1, 1, 0.5]);
  assert.equal(rows[27]!.start, 101);
  assert.deepEqual([...rows[27]!.weights].map((w) => +(w * 3.75).toFixed(12)), [0.75, 1, 1, 1]);
});

test('area resize of a 4x4 image to 2x2 is the mean of each 2x2 block; to 1x1 the global mean (exact)', () => {
  const img = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  assert.deepEqual([...resizeImage(img, 4, 4, 1, 2, 2, 'area')], [3.5, 5.5, 11.5, 13.5]);
  assert.deepEqual([...resizeImage(img, 4, 4, 1, 1, 1, 'area')], [8.5]);
});

test('area resize preserves the mean when the output tiles the input (105 -> 28, random bilevel image; |err| < 1e-12)', () => {
  const rng = createRng(5);
  const img = Float64Array.from({ length: 105 * 105 }, () => (rng.next() < 0.2 ? 1 : 0));
  const out = resizeImage(img, 105, 105, 1, 28, 28, 'area');
  const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean(out) - mean(img)) < 1e-12);
  assert.ok(out.every((v) => v >= 0 && v <= 1 + 1e-12));
});

test("nearest 105 -> 28 picks source pixel floor((i + 0.5) * 3.75): 1, 5, 9, 13, 16, ...", () => {
  const rows = resampleWeights(105, 28, 'nearest');
  assert.deepEqual(rows.slice(0, 5).map((r) => r.start), [1, 5, 9, 13, 16]);
  assert.equal(rows[27]!.start, 103);
  const img = Float64Array.from({ length: 105 * 105 }, (_, k) => k);
  const out = resizeImage(img, 105, 105, 1, 28, 28, 'nearest');
  assert.equal(out[0], 1 * 105 + 1);
  assert.equal(out[28 + 2], 5 * 105 + 9);
});

test('lanczos: identity at equal size, constants preserved, symmetric, overshoots at a step (as a sinc filter must)', () => {
  const rng = createRng(9);
  const img = Float64Array.from({ length: 9 * 11 * 3 }, () => rng.next());
  const same = resizeImage(img, 9, 11, 3, 9, 11, 'lanczos');
  for (let k = 0; k < img.length; k++) assert.ok(Math.abs(same[k]! - img[k]!) < 1e-12);
  const flat = resizeImage(new Float64Array(105 * 105).fill(0.3), 105, 105, 1, 28, 28, 'lanczos');
  assert.ok(flat.every((v) => Math.abs(v - 0.3) < 1e-12));
  const rows = resampleWeights(105, 28, 'lanczos');
  const a = rows[0]!;
  const b = rows[27]!;
  // mirror symmetry: row 27 is row 0 reversed about the image centre
  assert.equal(b.start + b.weights.length, 105 - a.start);
  for (let k = 0; k < a.weights.length; k++) assert.ok(Math.abs(a.weights[k]! - b.weights[b.weights.length - 1 - k]!) < 1e-12);
  const step = Float64Array.from({ length: 40 }, (_, k) => (k < 20 ? 0 : 1));
  const up = resizeImage(step, 1, 40, 1, 1, 80, 'lanczos');
  assert.ok(Math.min(...up) < -0.01 && Math.max(...up) > 1.01, 'ringing at the edge');
});

test('resizeImage: invalidArgument naming the argument on a size mismatch or a bad method', () => {
  assert.throws(() => resizeImage(new Float64Array(10), 3, 3, 1, 2, 2, 'area'), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message.startsWith('resizeImage: src'));
  assert.throws(() => resampleWeights(10, 0, 'area'), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message.includes('outSize'));
  assert.throws(() => resampleWeights(10, 5, 'bicubic' as never), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message.includes('method'));
});
