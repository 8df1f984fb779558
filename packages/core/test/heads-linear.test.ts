import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, createLinearHead, disposeParams, MetaLearnError } from '@metalearn/core';

const backends = await availableBackends();

function stats(xs: Float32Array | Int32Array | Uint8Array): { mean: number; std: number; maxAbs: number } {
  const v = Array.from(xs);
  const mean = v.reduce((s, a) => s + a, 0) / v.length;
  const std = Math.sqrt(v.reduce((s, a) => s + (a - mean) ** 2, 0) / v.length);
  return { mean, std, maxAbs: Math.max(...v.map(Math.abs)) };
}

test('linear head forward equals f W + b computed by hand, on every backend', async () => {
  for (const backend of backends) {
    await tf.setBackend(backend);
    const head = createLinearHead();
    const params = { weight: tf.tensor2d([[1, 2, 3], [-1, 0.5, 0]]), bias: tf.tensor1d([0.5, -1, 2]) };
    const f = tf.tensor2d([[2, 4], [-1, 1]]);
    // row 0: [2-4+0.5, 4+2-1, 6+0+2] = [-1.5, 5, 8]; row 1: [-1-1+0.5, -2+0.5-1, -3+0+2] = [-1.5, -2.5, -1]
    const y = head.apply(params, f);
    assert.deepEqual(y.arraySync(), [[-1.5, 5, 8], [-1.5, -2.5, -1]], backend);
    const noBias = createLinearHead({ bias: false });
    const y2 = noBias.apply({ weight: params.weight }, f);
    assert.deepEqual(y2.arraySync(), [[-2, 6, 6], [-2, -1.5, -3]], backend);
    assert.throws(() => head.apply(params, tf.zeros([2, 3]) as tf.Tensor2D), (e) => MetaLearnError.is(e, 'shapeMismatch') && /linear\.apply: features/.test(e.message));
    for (const t of [f, y, y2]) t.dispose();
    disposeParams(params);
  }
});

test('linear head init schemes: truncated normal 0.01 (default), normal 1, Glorot uniform, zeros; bias zeros; deterministic', () => {
  const D = 64;
  const N = 20;
  const tn = createLinearHead().init(1, D, N);
  assert.deepEqual(tn['weight']!.shape, [D, N]);
  assert.deepEqual(tn['bias']!.shape, [N]);
  const s1 = stats(tn['weight']!.dataSync());
  assert.ok(s1.maxAbs <= 0.02 + 1e-9 && Math.abs(s1.std / 0.008796 - 1) < 0.08, JSON.stringify(s1)); // 1280 draws, s.e. ~2%
  assert.ok(tn['bias']!.dataSync().every((v) => v === 0));
  const nrm = createLinearHead({ init: 'normal' }).init(1, D, N);
  const s2 = stats(nrm['weight']!.dataSync());
  assert.ok(Math.abs(s2.std - 1) < 0.08 && s2.maxAbs > 2.5, JSON.stringify(s2));
  const gl = createLinearHead({ init: 'glorotUniform' }).init(1, D, N);
  const a = Math.sqrt(6 / (D + N));
  const s3 = stats(gl['weight']!.dataSync());
  // U(-a, a) has std a / sqrt(3).
  assert.ok(s3.maxAbs <= a && s3.maxAbs > 0.95 * a && Math.abs(s3.std / (a / Math.sqrt(3)) - 1) < 0.08, JSON.stringify(s3));
  const z = createLinearHead({ init: 'zeros' }).init(1, D, N);
  assert.ok(z['weight']!.dataSync().every((v) => v === 0));
  const again = createLinearHead().init(1, D, N);
  assert.deepEqual(again['weight']!.dataSync(), tn['weight']!.dataSync());
  const other = createLinearHead().init(2, D, N);
  assert.notDeepEqual(other['weight']!.dataSync(), tn['weight']!.dataSync());
  for (const p of [tn, nrm, gl, z, again, other]) disposeParams(p);
  assert.throws(() => createLinearHead({ init: 'he' as never }), (e) => MetaLearnError.is(e, 'invalidArgument'));
  assert.throws(() => createLinearHead({ std: -1 }), (e) => MetaLearnError.is(e, 'invalidArgument'));
  assert.throws(() => createLinearHead().init(0, 0, 5), (e) => MetaLearnError.is(e, 'invalidArgument'));
});
