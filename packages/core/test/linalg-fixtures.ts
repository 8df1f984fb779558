// Shared fixtures of the linalg and hvp tests: seeded SPD matrices in float64, FD helpers.
import * as tf from '@tensorflow/tfjs-core';
import { createRng, type Rng } from '@metalearn/core';

/** Row-major float64 `[batch, n, n]` SPD matrices `M Mᵀ / n + shift · I`, eigenvalues >= shift. */
export function randomSpd(rng: Rng, batch: number, n: number, shift = 0.5): Float64Array {
  const out = new Float64Array(batch * n * n);
  for (let b = 0; b < batch; b++) {
    const m = Array.from({ length: n * n }, () => rng.normal());
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += m[i * n + k]! * m[j * n + k]!;
        s /= n;
        if (i === j) s += shift;
        out[b * n * n + i * n + j] = s;
        out[b * n * n + j * n + i] = s;
      }
    }
  }
  return out;
}

/** `count` standard normal numbers from `rng`. */
export function normals(rng: Rng, count: number): Float64Array {
  return Float64Array.from({ length: count }, () => rng.normal());
}

/** A random symmetric direction `[batch, n, n]` (float64), `(G + Gᵀ)/2`. */
export function randomSymmetric(rng: Rng, batch: number, n: number): Float64Array {
  const g = normals(rng, batch * n * n);
  const out = new Float64Array(g.length);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) out[b * n * n + i * n + j] = 0.5 * (g[b * n * n + i * n + j]! + g[b * n * n + j * n + i]!);
    }
  }
  return out;
}

/** `Σ w ⊙ t`, in float64 on the host (downloads `t`). */
export function weightedSum(t: tf.Tensor, w: ArrayLike<number>): number {
  const v = t.dataSync();
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * w[i]!;
  return s;
}

/** `Σ a ⊙ b` in float64. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** `a + h d` as a float32 tensor of `shape`. */
export function shifted(a: ArrayLike<number>, d: ArrayLike<number>, h: number, shape: number[]): tf.Tensor {
  return tf.tensor(Float32Array.from({ length: a.length }, (_, i) => a[i]! + h * d[i]!), shape, 'float32');
}

/** Max absolute entry of `a - b`. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Max absolute entry. */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

export { createRng };
