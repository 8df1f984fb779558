// Finite-difference helpers for the gradient tests (not a test file itself).
//
// tfjs computes in float32 (unit roundoff u ≈ 6e-8). A central difference with step h has
// truncation error ~ h² |f'''| / 6 and rounding error ~ u |f| / h; with h = 4e-3 (smooth ops) and
// the O(1)..O(10) functions used here that is ~3e-6 |f'''| + 1.5e-5 |f|; near kinks h = 1e-3 with
// inputs kept ≥ 0.05 from them (~6e-5 |f|). The tests compare with a relative tolerance of 2e-3;
// a wrong or missing second-order path is off by O(1). Second derivatives are checked as Hessian-vector
// products: the exact `H v` (double backward) against the central difference of the analytic
// gradient, (g(x + h v) - g(x - h v)) / 2h, which has the same error budget.
import * as tf from '@tensorflow/tfjs-core';
import { createRng, type Rng } from '@metalearn/core';

/** A scalar function of several tensors. */
export type MultiFn = (xs: tf.Tensor[]) => tf.Scalar;

/** Float32 tensor of `shape` with standard-normal entries from `rng`. */
export function randn(rng: Rng, shape: number[], scale = 1): tf.Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return tf.tensor(Array.from({ length: n }, () => scale * rng.normal()), shape, 'float32');
}

/**
 * Float32 tensor of `shape` whose entries are a random permutation of `lo + spacing · k`:
 * pairwise at least `spacing` apart, so a finite-difference probe of size < spacing/2 never
 * changes which element is a maximum (for max pooling, max, maximum, relu kinks...).
 */
export function separated(rng: Rng, shape: number[], lo: number, spacing: number): tf.Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const values = rng.shuffle(Array.from({ length: n }, (_, k) => lo + spacing * k));
  return tf.tensor(values, shape, 'float32');
}

/** Σ_i <a_i, b_i> as a scalar tensor. */
function dot(a: tf.Tensor[], b: tf.Tensor[]): tf.Scalar {
  return tf.addN(a.map((t, i) => tf.sum(tf.mul(t, b[i]!)))) as tf.Scalar;
}

/** Analytic gradients, with zeros for inputs `f` does not depend on. */
function gradients(f: MultiFn, xs: tf.Tensor[]): tf.Tensor[] {
  const g = tf.grads((...args: tf.Tensor[]) => f(args))(xs);
  return g.map((t, i) => t ?? tf.zerosLike(xs[i]!));
}

/** Errors of the first and second derivatives of `f` at `xs` against central differences. */
export interface DerivativeErrors {
  /** |<∇f, v> - (f(x+hv) - f(x-hv))/2h| / max(1, |<∇f, v>|). */
  readonly first: number;
  /** max |H v - (∇f(x+hv) - ∇f(x-hv))/2h| / max(1, max |FD|). */
  readonly second: number;
  /** max |H v| (to see that the second derivative is not trivially 0). */
  readonly hvpScale: number;
}

/**
 * Measures the first derivative (directional) and the second derivative (Hessian-vector product)
 * of `f` at `xs` against central finite differences along a seeded random direction.
 * @param h - step; keep it below half the distance to any kink of `f`.
 */
export function derivativeErrors(f: MultiFn, xs: tf.Tensor[], seed: number, h = 4e-3, secondOrder = true): DerivativeErrors {
  return tf.tidy(() => {
    const rng = createRng(seed);
    const v = xs.map((x) => randn(rng, x.shape));
    const shifted = (sign: number): tf.Tensor[] => xs.map((x, i) => tf.add(x, tf.mul(v[i]!, sign * h)));
    const g = gradients(f, xs);
    const analytic = dot(g, v).dataSync()[0]!;
    const fd = (f(shifted(1)).dataSync()[0]! - f(shifted(-1)).dataSync()[0]!) / (2 * h);
    const first = Math.abs(analytic - fd) / Math.max(1, Math.abs(analytic));
    if (!secondOrder) return { first, second: 0, hvpScale: 0 };
    const hvp = gradients((ys) => dot(gradients(f, ys), v), xs);
    const gp = gradients(f, shifted(1));
    const gm = gradients(f, shifted(-1));
    let err = 0;
    let scale = 0;
    let fdScale = 0;
    hvp.forEach((hv, i) => {
      const fdHv = tf.div(tf.sub(gp[i]!, gm[i]!), 2 * h);
      err = Math.max(err, tf.max(tf.abs(tf.sub(hv, fdHv))).dataSync()[0]!);
      scale = Math.max(scale, tf.max(tf.abs(hv)).dataSync()[0]!);
      fdScale = Math.max(fdScale, tf.max(tf.abs(fdHv)).dataSync()[0]!);
    });
    return { first, second: err / Math.max(1, fdScale), hvpScale: scale };
  });
}

/** Max |a - b| as a number. */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}
