/**
 * Self-checks of the matrix product on the active backend, for `metalearn doctor` (each well
 * under 100 ms). On wasm they exercise the replaced `BatchMatMul` (kernel-batch-matmul-wasm.ts):
 * every transpose combination on odd sizes large enough for its XNNPACK path, batched with a
 * broadcast operand, and the same data reshaped (where tfjs 4.22's own wasm kernel reuses a
 * stale XNNPACK operator).
 *
 * | check                                                      | tfjs 4.22 wasm gives        | tolerance |
 * | ---------------------------------------------------------- | --------------------------- | --------- |
 * | matMul NN/TN/NT/TT, [2, 1, 37, 29] x [3, 29, 23] vs float64 | right, 9-15x slower (T, batch) | 1e-5 rel. |
 * | matMul of one tensor reshaped [32, 48] then [48, 32]        | wrong (stale operator)      | 1e-5 rel. |
 *
 * The error is max |got - ref| / max(sum over l of |a_il| |b_lj|) with ref the float64 product:
 * float32 accumulation of K = 29..48 terms stays below ~K u ≈ 3e-6 of that scale (u = 6e-8).
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../../random.js';
import type { EngineCheck } from '../check.js';

type Check = ReturnType<EngineCheck['run']>;

/**
 * The float64 batched product and its magnitude scale.
 * @returns `ref [B, M, N]` and `scale = max over entries of sum_l |a_il| |b_lj|`.
 */
function reference(
  a: Float32Array,
  b: Float32Array,
  batchIndex: { a: number[]; b: number[] },
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
): { ref: Float64Array; scale: number } {
  const batches = batchIndex.a.length;
  const ref = new Float64Array(batches * m * n);
  let scale = 0;
  for (let t = 0; t < batches; t++) {
    const aBase = batchIndex.a[t]! * m * k;
    const bBase = batchIndex.b[t]! * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        let abs = 0;
        for (let l = 0; l < k; l++) {
          const av = a[aBase + (transposeA ? l * m + i : i * k + l)]!;
          const bv = b[bBase + (transposeB ? j * k + l : l * n + j)]!;
          s += av * bv;
          abs += Math.abs(av * bv);
        }
        ref[(t * m + i) * n + j] = s;
        scale = Math.max(scale, abs);
      }
    }
  }
  return { ref, scale };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/** a: [2, 1, M, K] (stored transposed when asked), b: [3, K, N]: out [2, 3, M, N]. */
function transposeCheck(transposeA: boolean, transposeB: boolean): Check {
  const [m, k, n] = [37, 29, 23];
  const rng = createRng(17);
  const a = Float32Array.from({ length: 2 * m * k }, () => rng.normal());
  const b = Float32Array.from({ length: 3 * k * n }, () => rng.normal());
  const aShape = transposeA ? [2, 1, k, m] : [2, 1, m, k];
  const bShape = transposeB ? [3, n, k] : [3, k, n];
  const got = tf.tidy(() => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), transposeA, transposeB).dataSync());
  const { ref, scale } = reference(a, b, { a: [0, 0, 0, 1, 1, 1], b: [0, 1, 2, 0, 1, 2] }, m, k, n, transposeA, transposeB);
  return { value: maxAbsDiff(got, ref) / scale, expected: 0 };
}

/** One tensor w used as [32, 48] and then, reshaped (same data), as [48, 32]. */
function reshapeReuseCheck(): Check {
  const rng = createRng(19);
  const w = Float32Array.from({ length: 32 * 48 }, () => rng.normal());
  const x1 = Float32Array.from({ length: 20 * 32 }, () => rng.normal());
  const x2 = Float32Array.from({ length: 20 * 48 }, () => rng.normal());
  const [first, second] = tf.tidy(() => {
    const wt = tf.tensor(w, [32, 48]);
    const y1 = tf.matMul(tf.tensor(x1, [20, 32]), wt).dataSync();
    const y2 = tf.matMul(tf.tensor(x2, [20, 48]), tf.reshape(wt, [48, 32])).dataSync();
    return [y1, y2];
  });
  const r1 = reference(x1, w, { a: [0], b: [0] }, 20, 32, 48, false, false);
  const r2 = reference(x2, w, { a: [0], b: [0] }, 20, 48, 32, false, false);
  const value = Math.max(maxAbsDiff(first, r1.ref) / r1.scale, maxAbsDiff(second, r2.ref) / r2.scale);
  return { value, expected: 0 };
}

/** The matrix-product checks of `metalearn doctor` (the table above). */
export const matmulChecks: EngineCheck[] = [
  ...([[false, false], [true, false], [false, true], [true, true]] as const).map(([ta, tb]): EngineCheck => ({
    name: `matMul ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} [2, 1, 37, 29] x [3, 29, 23] (broadcast batches) vs float64 reference, relative`,
    tolerance: 1e-5,
    run: () => transposeCheck(ta, tb),
  })),
  { name: 'matMul of one tensor as [32, 48] then reshaped [48, 32] (no stale operator) vs float64 reference, relative', tolerance: 1e-5, run: reshapeReuseCheck },
];
