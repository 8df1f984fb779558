// Test fixtures of @metalearn/metaoptnet: seeded support sets (features, Gram matrix, labels) in
// float64, an independent primal SVM objective on explicit augmented features, the backend loop
// with a leak check.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, createRng, initEngine, MetaLearnError, type Backbone, type Params } from '@metalearn/core';
import type { SvmDualProblem } from '@metalearn/metaoptnet';

/** A support set: features `x: [N_s][D]` (class means N(0, I), examples mean + noise·N(0, I)), labels class-major. */
export interface SupportSet {
  readonly x: number[][];
  readonly labels: number[];
  readonly ways: number;
}

/** Seeded support set of `ways * shots` examples in `D` dimensions (values rounded to float32). */
export function supportSet(seed: number, ways: number, shots: number, d: number, noise = 0.7): SupportSet {
  const rng = createRng(seed);
  const means = Array.from({ length: ways }, () => Array.from({ length: d }, () => rng.normal()));
  const x: number[][] = [];
  const labels: number[] = [];
  for (let c = 0; c < ways; c++) {
    for (let s = 0; s < shots; s++) {
      x.push(means[c]!.map((m) => Math.fround(m + noise * rng.normal())));
      labels.push(c);
    }
  }
  return { x, labels, ways };
}

/** `K = X Xᵀ` in float64, row-major. */
export function gramOf(x: readonly (readonly number[])[]): Float64Array {
  const n = x.length;
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) k[i * n + j] = x[i]!.reduce((s, v, d) => s + v * x[j]![d]!, 0);
  return k;
}

/** The dual problem of a support set. */
export function problemOf(s: SupportSet, C: number, ridge: number): SvmDualProblem {
  return { gram: gramOf(s.x), labels: s.labels, ways: s.ways, C, ridge };
}

/**
 * Independent of the package: the Crammer–Singer primal objective `½ Σ_k ||w_k||² + C Σ_i ξ_i`
 * of `w_k = Σ_i α_ik x̃_i` on the explicit augmented features `x̃_i = [x_i, √ε e_i]`, with the
 * smallest feasible slacks `ξ_i = max_k (1 - δ(y_i = k) + w_kᵀ x̃_i - w_{y_i}ᵀ x̃_i)`; and the dual
 * objective `-½ Σ_k ||w_k||² + Σ_i α_{i,y_i}`.
 */
export function primalAndDual(s: SupportSet, alpha: ArrayLike<number>, C: number, ridge: number): { primal: number; dual: number } {
  const n = s.x.length;
  const w = s.ways;
  const aug = s.x.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? Math.sqrt(ridge) : 0))]);
  const dim = aug[0]!.length;
  const weights = Array.from({ length: w }, (_, k) => Array.from({ length: dim }, (_, d) => aug.reduce((acc, row, i) => acc + alpha[i * w + k]! * row[d]!, 0)));
  const norm = weights.reduce((acc, wk) => acc + wk.reduce((a, v) => a + v * v, 0), 0);
  let slack = 0;
  let picked = 0;
  for (let i = 0; i < n; i++) {
    const scores = weights.map((wk) => wk.reduce((a, v, d) => a + v * aug[i]![d]!, 0));
    const y = s.labels[i]!;
    slack += Math.max(...scores.map((sk, k) => (k === y ? 0 : 1) + sk - scores[y]!));
    picked += alpha[i * w + y]!;
  }
  return { primal: 0.5 * norm + C * slack, dual: -0.5 * norm + picked };
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

/** Max |a - b|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < b.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/**
 * `features = tanh(x W + b)`: float32 `x: [B, inputDim]` → `[B, featureDim]`; parameters
 * `w: [inputDim, featureDim]`, `b: [featureDim]`, drawn N(0, std²) from the seed.
 */
export function tinyBackbone(inputDim: number, featureDim: number, std = 0.5): Backbone {
  return {
    name: 'tiny-tanh',
    inputShape: [inputDim],
    featureDim,
    init(seed: number): Params {
      const rng = createRng(seed);
      const draw = (n: number) => Float32Array.from({ length: n }, () => std * rng.normal());
      return { w: tf.tensor2d(draw(inputDim * featureDim), [inputDim, featureDim]), b: tf.tensor1d(draw(featureDim)) };
    },
    apply(params: Params, x: tf.Tensor): tf.Tensor2D {
      if (x.rank !== 2 || x.shape[1] !== inputDim) throw new MetaLearnError('shapeMismatch', `tiny-tanh: x must be [B, ${inputDim}], got [${x.shape.join(', ')}]`);
      return tf.tidy(() => tf.tanh(tf.add(tf.matMul(x as tf.Tensor2D, params['w'] as tf.Tensor2D), params['b']!))) as tf.Tensor2D;
    },
  };
}

/** The tiny backbone in float64 on the host: `tanh(x W + b)` with `W` row-major `[inputDim, featureDim]`. */
export function tinyFeatures64(x: readonly (readonly number[])[], w: ArrayLike<number>, b: ArrayLike<number>, featureDim: number): number[][] {
  return x.map((row) => Array.from({ length: featureDim }, (_, f) => Math.tanh(row.reduce((acc, v, d) => acc + v * w[d * featureDim + f]!, b[f]!))));
}
