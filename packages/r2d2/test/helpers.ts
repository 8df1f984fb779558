// Test fixtures of @metalearn/r2d2: a tiny smooth functional backbone, seeded episodes, a
// float64 ridge reference (ml-matrix), backend loop with a leak check.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Matrix, solve as mlSolve } from 'ml-matrix';
import { availableBackends, createRng, initEngine, MetaLearnError, type Backbone, type Episode, type Params } from '@metalearn/core';

/**
 * `features = tanh(x W + b)`: float32 `x: [B, inputDim]` → `[B, featureDim]`; parameters
 * `w: [inputDim, featureDim]`, `b: [featureDim]`, drawn N(0, 0.5²) from the seed.
 */
export function tinyBackbone(inputDim: number, featureDim: number): Backbone {
  return {
    name: 'tiny-tanh',
    inputShape: [inputDim],
    featureDim,
    init(seed: number): Params {
      const rng = createRng(seed);
      const draw = (n: number) => Float32Array.from({ length: n }, () => 0.5 * rng.normal());
      return { w: tf.tensor2d(draw(inputDim * featureDim), [inputDim, featureDim]), b: tf.tensor1d(draw(featureDim)) };
    },
    apply(params: Params, x: tf.Tensor): tf.Tensor2D {
      if (x.rank !== 2 || x.shape[1] !== inputDim) throw new MetaLearnError('shapeMismatch', `tiny-tanh: x must be [B, ${inputDim}], got [${x.shape.join(', ')}]`);
      return tf.tidy(() => tf.tanh(tf.add(tf.matMul(x as tf.Tensor2D, params['w'] as tf.Tensor2D), params['b']!))) as tf.Tensor2D;
    },
  };
}

/** A seeded episode: inputs N(0, 1); classification labels class-major, regression targets sin of a projection. */
export function episode(seed: number, kind: 'classification' | 'regression', ways: number, shots: number, queryShots: number, inputDim: number): Episode {
  const rng = createRng(seed);
  const proj = Array.from({ length: inputDim * ways }, () => rng.normal());
  const make = (perClass: number) => {
    const n = kind === 'classification' ? ways * perClass : perClass;
    const xs = Float32Array.from({ length: n * inputDim }, () => rng.normal());
    if (kind === 'classification') {
      return { x: tf.tensor2d(xs, [n, inputDim]), y: tf.tensor1d(Int32Array.from({ length: n }, (_, i) => Math.floor(i / perClass)), 'int32') };
    }
    const ys = new Float32Array(n * ways);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < ways; k++) {
        let s = 0;
        for (let d = 0; d < inputDim; d++) s += xs[i * inputDim + d]! * proj[d * ways + k]!;
        ys[i * ways + k] = Math.sin(s);
      }
    }
    return { x: tf.tensor2d(xs, [n, inputDim]), y: tf.tensor2d(ys, [n, ways]) };
  };
  return { kind, ways, shots, queryShots, support: make(shots), query: make(queryShots) };
}

/** Ridge weights in float64 by the normal equations, `(XᵀX + λI)⁻¹ XᵀY`, with ml-matrix. */
export function ridgeReference(x: number[][], y: number[][], lambda: number): number[][] {
  const X = new Matrix(x);
  const g = X.transpose().mmul(X).add(Matrix.eye(X.columns).mul(lambda));
  return mlSolve(g, X.transpose().mmul(new Matrix(y))).to2DArray();
}

const backends = await availableBackends();

/** Runs `body` on every backend, asserting that it leaks no tensor. */
export async function onEveryBackend(body: (backend: string) => void | Promise<void>): Promise<void> {
  assert.ok(backends.length >= 2, `expected cpu and wasm, got ${backends.join()}`);
  for (const b of backends) {
    await initEngine({ backend: b, log: () => {} });
    const before = tf.memory().numTensors;
    await body(b);
    assert.equal(tf.memory().numTensors, before, `${b}: leaked tensors`);
  }
}

/** Max |a - b| / max |b|. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / m;
}
