/**
 * Self-checks of the engine's dense linear algebra and Hessian-vector products, as run by
 * `metalearn doctor` on the active backend: each computes something with a known answer
 * (a reconstruction, a residual, a finite difference, an analytic Hessian) and compares.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '../../errors.js';
import { createRng, type Rng } from '../../random.js';
import type { EngineCheck } from '../check.js';
import { hessianVectorProduct } from '../hvp.js';
import { cholesky } from './cholesky.js';
import { choleskySolve } from './cholesky-solve.js';

/** Row-major float64 SPD `M Mᵀ / n + I` (eigenvalues >= 1) from `rng`. */
function spd(rng: Rng, n: number): number[] {
  const m = Array.from({ length: n * n }, () => rng.normal());
  const a = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += m[i * n + k]! * m[j * n + k]!;
      a[i * n + j] = s / n + (i === j ? 1 : 0);
    }
  }
  return a;
}

/** A symmetric float64 direction `(G + Gᵀ)/2`. */
function symmetric(rng: Rng, n: number): number[] {
  const g = Array.from({ length: n * n }, () => rng.normal());
  return g.map((_, k) => 0.5 * (g[k]! + g[(k % n) * n + Math.floor(k / n)]!));
}

function maxAbs(xs: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m = Math.max(m, Math.abs(xs[i]!));
  return m;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Central finite difference of `phi` along `d` at `a` (step `h`) against the analytic
 * directional derivative `<grad, d>`; returns both and the error relative to `1 + |fd|`.
 */
function directional(analytic: number, phi: (h: number) => number, h: number): { value: number; expected: number; error: number } {
  const fd = (phi(h) - phi(-h)) / (2 * h);
  return { value: analytic, expected: fd, error: Math.abs(analytic - fd) / (1 + Math.abs(fd)) };
}

const N = 6;
const M = 3;

/**
 * The checks, each on a fixed seeded problem of size `n = 6`:
 * - `linalg/cholesky-reconstruction`: `max|L Lᵀ - A| / max|A|` (tolerance 2e-6);
 * - `linalg/cholesky-solve-residual`: `max|A X - B| / (max|A| max|X| n)` (1e-6);
 * - `linalg/cholesky-gradient-fd`: `<∇_A Σ W⊙L, E>` against a central difference, step 1e-2,
 *   symmetric `E` (1e-3 relative);
 * - `linalg/cholesky-solve-gradient-fd`: the same for `Σ W⊙A⁻¹B` along `(E, D)` (1e-3);
 * - `linalg/not-positive-definite`: 1 when `cholesky([[1, 2], [2, 1]])` raises
 *   `notPositiveDefinite` at pivot 1 (tolerance 0);
 * - `hvp/exact-quadratic`, `hvp/finite-difference-quadratic`: `H v` of `½ xᵀAx + bᵀx` against
 *   `A v` (1e-5 and 1e-3 relative);
 * - `hvp/exact-through-solve`: `H v` of `½ bᵀ A⁻¹ b` (a second derivative through
 *   {@link choleskySolve}'s custom gradient) against `A⁻¹ v` (1e-5 relative).
 */
export const linalgChecks: EngineCheck[] = [
  {
    name: 'linalg/cholesky-reconstruction',
    tolerance: 2e-6,
    run: () =>
      tf.tidy(() => {
        const a64 = spd(createRng(11), N);
        const a = tf.tensor2d(a64, [N, N]);
        const l = cholesky(a);
        const err = maxAbs(tf.sub(tf.matMul(l, l, false, true), a).dataSync()) / maxAbs(a64);
        return { value: err, expected: 0 };
      }),
  },
  {
    name: 'linalg/cholesky-solve-residual',
    tolerance: 1e-6,
    run: () =>
      tf.tidy(() => {
        const rng = createRng(12);
        const a64 = spd(rng, N);
        const a = tf.tensor2d(a64, [N, N]);
        const b = tf.tensor2d(Array.from({ length: N * M }, () => rng.normal()), [N, M]);
        const x = choleskySolve(a, b);
        const err = maxAbs(tf.sub(tf.matMul(a, x), b).dataSync()) / (maxAbs(a64) * maxAbs(x.dataSync()) * N);
        return { value: err, expected: 0 };
      }),
  },
  {
    name: 'linalg/cholesky-gradient-fd',
    tolerance: 1e-3,
    run: () =>
      tf.tidy(() => {
        const rng = createRng(13);
        const a64 = spd(rng, N);
        const e = symmetric(rng, N);
        const w = Array.from({ length: N * N }, () => rng.normal());
        const wT = tf.tensor2d(w, [N, N]);
        const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(cholesky(a as tf.Tensor2D), wT)))(tf.tensor2d(a64, [N, N]));
        const phi = (h: number): number => tf.tidy(() => dot(cholesky(tf.tensor2d(a64.map((v, k) => v + h * e[k]!), [N, N])).dataSync(), w));
        return directional(dot(g.dataSync(), e), phi, 1e-2);
      }),
  },
  {
    name: 'linalg/cholesky-solve-gradient-fd',
    tolerance: 1e-3,
    run: () =>
      tf.tidy(() => {
        const rng = createRng(14);
        const a64 = spd(rng, N);
        const b64 = Array.from({ length: N * M }, () => rng.normal());
        const e = symmetric(rng, N);
        const d = Array.from({ length: N * M }, () => rng.normal());
        const w = tf.tensor2d(Array.from({ length: N * M }, () => rng.normal()), [N, M]);
        const wv = w.dataSync();
        const [gA, gB] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(choleskySolve(a as tf.Tensor2D, b as tf.Tensor2D), w)))([
          tf.tensor2d(a64, [N, N]),
          tf.tensor2d(b64, [N, M]),
        ]);
        const analytic = dot(gA!.dataSync(), e) + dot(gB!.dataSync(), d);
        const phi = (h: number): number =>
          tf.tidy(() =>
            dot(choleskySolve(tf.tensor2d(a64.map((v, k) => v + h * e[k]!), [N, N]), tf.tensor2d(b64.map((v, k) => v + h * d[k]!), [N, M])).dataSync(), wv),
          );
        return directional(analytic, phi, 1e-2);
      }),
  },
  {
    name: 'linalg/not-positive-definite',
    tolerance: 0,
    run: () =>
      tf.tidy(() => {
        try {
          cholesky(tf.tensor2d([[1, 2], [2, 1]]));
          return { value: 0, expected: 1 };
        } catch (err) {
          const ok = MetaLearnError.is(err, 'notPositiveDefinite') && err.message.includes('pivot k = 1');
          if (!ok) throw err;
          return { value: 1, expected: 1 };
        }
      }),
  },
  {
    name: 'hvp/exact-quadratic',
    tolerance: 1e-5,
    run: () => quadraticHvpError('exact', 15),
  },
  {
    name: 'hvp/finite-difference-quadratic',
    tolerance: 1e-3,
    run: () => quadraticHvpError('finiteDifference', 16),
  },
  {
    name: 'hvp/exact-through-solve',
    tolerance: 1e-5,
    run: () =>
      tf.tidy(() => {
        const rng = createRng(17);
        const a = tf.tensor2d(spd(rng, N), [N, N]);
        const b = tf.tensor2d(Array.from({ length: N }, () => rng.normal()), [N, 1]);
        const v = tf.tensor2d(Array.from({ length: N }, () => rng.normal()), [N, 1]);
        // f(b) = ½ bᵀ A⁻¹ b  ⇒  ∇f = A⁻¹ b, H = A⁻¹.
        const hv = hessianVectorProduct((x) => tf.mul(0.5, tf.sum(tf.mul(x, choleskySolve(a, x as tf.Tensor2D)))) as tf.Scalar, b, v);
        const expected = choleskySolve(a, v).dataSync();
        const err = maxAbs(tf.sub(hv, tf.tensor2d(expected, [N, 1])).dataSync()) / maxAbs(expected);
        return { value: err, expected: 0 };
      }),
  },
];

/** Relative max error of `H v` for `f(x) = ½ xᵀAx + bᵀx` (so `H v = A v`). */
function quadraticHvpError(mode: 'exact' | 'finiteDifference', seed: number): { value: number; expected: number } {
  return tf.tidy(() => {
    const rng = createRng(seed);
    const a = tf.tensor2d(spd(rng, N), [N, N]);
    const b = tf.tensor2d(Array.from({ length: N }, () => rng.normal()), [N, 1]);
    const x = tf.tensor2d(Array.from({ length: N }, () => rng.normal()), [N, 1]);
    const v = tf.tensor2d(Array.from({ length: N }, () => rng.normal()), [N, 1]);
    const f = (z: tf.Tensor): tf.Scalar => tf.add(tf.mul(0.5, tf.sum(tf.mul(z, tf.matMul(a, z)))), tf.sum(tf.mul(b, z))) as tf.Scalar;
    const hv = hessianVectorProduct(f, x, v, { mode });
    const av = tf.matMul(a, v).dataSync();
    return { value: maxAbs(tf.sub(hv, tf.tensor2d(av, [N, 1])).dataSync()) / maxAbs(av), expected: 0 };
  });
}
