/**
 * Hessian-vector products `H v = ∇²f(x) v` without forming the Hessian: exactly by double
 * backward, or approximately by a finite difference of two gradients. One utility for both, on a
 * single tensor or on a {@link Params} map (what iMAML's conjugate gradient and MAML's
 * meta-gradient analysis call).
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '../errors.js';
import { paramNames, type Params } from '../params.js';
import { stopGradient } from '../stop-gradient.js';

/** How {@link hessianVectorProduct} computes `H v`. */
export type HvpMode = 'exact' | 'finiteDifference';

/** Options of {@link hessianVectorProduct}. */
export interface HvpOptions {
  /**
   * `'exact'` (default): `H v = ∇_x <∇_x f(x), v>`, one double-backward pass, exact to float32
   * rounding. `'finiteDifference'`: two gradient evaluations, no second-order graph (works with
   * ops whose gradients are not themselves differentiable).
   */
  readonly mode?: HvpMode;
  /**
   * Finite-difference step (`'finiteDifference'` only), a positive number. Default
   * `1e-2 / ||v||₂`, so the probe `x + r v` moves `x` by exactly 1e-2 in Euclidean norm (the step
   * of DARTS, Liu et al. 2019, sec. 2.3): small enough for the `O(r)` truncation error on problems
   * scaled to O(1), large enough that float32 rounding of the gradient difference
   * (`~1.2e-7 · ||∇f|| / r`) stays near 1e-5 relative.
   */
  readonly r?: number;
  /**
   * Finite-difference scheme (`'finiteDifference'` only). `'forward'` (default):
   * `(g(x + r v) - g(x)) / r`, error `O(r)`. `'central'`: `(g(x + r v) - g(x - r v)) / (2r)`,
   * error `O(r²)` for the same two gradient evaluations.
   */
  readonly scheme?: 'forward' | 'central';
}

/** A function from named parameters to a scalar loss. */
export type ParamsObjective = (params: Params) => tf.Scalar;
/** A function from one tensor to a scalar loss. */
export type TensorObjective = (x: tf.Tensor) => tf.Scalar;

const SINGLE = 'x';

/**
 * The Hessian of `f` at `x` times `v`, exactly or by finite differences.
 *
 * - exact: `H v = ∇_x <∇_x f(x), v>` (Pearlmutter 1994), by differentiating the gradient once
 *   more; every op on the path from `x` to `f` needs a differentiable gradient (the engine's
 *   linear algebra — {@link choleskySolve}, {@link cholesky} — qualifies).
 * - finite difference: `H v ≈ (g(x + r v) - g(x)) / r` with `g = ∇f` (or the central scheme),
 *   `r` defaulting to `1e-2 / ||v||₂` (see {@link HvpOptions.r}).
 *
 * `v` is treated as a constant (never differentiated, even when it was computed from `x`).
 * Parameters that `f` does not depend on get zero rows. When called under an enclosing
 * `tf.grad`, the result stays differentiable with respect to `x` (third order and beyond, exact
 * mode). Runs inside `tf.tidy`: only the returned tensors survive.
 *
 * @param f - the scalar objective: `(x: tf.Tensor) => tf.Scalar`, or `(params: Params) => tf.Scalar`.
 * @param x - the point: a float32 tensor, or a {@link Params} map.
 * @param v - the direction: same shape as `x` (tensor), or same names and shapes (map).
 * @param options - `mode` (`'exact'` default), `r`, `scheme`.
 * @returns `H v`: a tensor shaped like `x`, or a map with the names and shapes of `x`.
 * @throws MetaLearnError `shapeMismatch` when `v` does not match `x` (names or shapes);
 *   `invalidArgument` on a non-float32 entry, a bad `mode`/`scheme`/`r`, or when `f` does not
 *   return a scalar.
 * @example
 * // f(x) = ½ xᵀ A x  ⇒  H v = A v
 * const hv = hessianVectorProduct((x) => tf.mul(0.5, tf.sum(tf.mul(x, tf.matMul(A, x)))), x, v);
 * @example
 * // iMAML: (I + H/λ) p on a Params map, by finite differences
 * const hp = hessianVectorProduct((phi) => supportLoss(phi), phi, p, { mode: 'finiteDifference' });
 * @see Pearlmutter 1994, "Fast exact multiplication by the Hessian", Neural Computation 6(1).
 * @see Rajeswaran, Finn, Kakade & Levine 2019, "Meta-Learning with Implicit Gradients", sec. 3 (CG on Hessian-vector products).
 * @see Liu, Simonyan & Yang 2019, "DARTS: Differentiable Architecture Search", sec. 2.3 (the FD step).
 */
export function hessianVectorProduct(f: TensorObjective, x: tf.Tensor, v: tf.Tensor, options?: HvpOptions): tf.Tensor;
export function hessianVectorProduct(f: ParamsObjective, x: Params, v: Params, options?: HvpOptions): Params;
export function hessianVectorProduct(
  f: TensorObjective | ParamsObjective,
  x: tf.Tensor | Params,
  v: tf.Tensor | Params,
  options: HvpOptions = {},
): tf.Tensor | Params {
  if (x instanceof tf.Tensor) {
    if (!(v instanceof tf.Tensor)) {
      throw new MetaLearnError('invalidArgument', 'hessianVectorProduct: v must be a tf.Tensor when x is one, got a Params map');
    }
    const out = hvpParams((p) => (f as TensorObjective)(p[SINGLE]!), { [SINGLE]: x }, { [SINGLE]: v }, options);
    return out[SINGLE]!;
  }
  if (v instanceof tf.Tensor) {
    throw new MetaLearnError('invalidArgument', 'hessianVectorProduct: v must be a Params map when x is one, got a tf.Tensor');
  }
  return hvpParams(f as ParamsObjective, x, v, options);
}

function hvpParams(f: ParamsObjective, x: Params, v: Params, options: HvpOptions): Params {
  const mode = options.mode ?? 'exact';
  if (mode !== 'exact' && mode !== 'finiteDifference') {
    throw new MetaLearnError('invalidArgument', `hessianVectorProduct: options.mode must be 'exact' or 'finiteDifference', got '${String(mode)}'`);
  }
  const scheme = options.scheme ?? 'forward';
  if (scheme !== 'forward' && scheme !== 'central') {
    throw new MetaLearnError('invalidArgument', `hessianVectorProduct: options.scheme must be 'forward' or 'central', got '${String(scheme)}'`);
  }
  if (options.r !== undefined && !(Number.isFinite(options.r) && options.r > 0)) {
    throw new MetaLearnError('invalidArgument', `hessianVectorProduct: options.r must be a positive finite number, got ${options.r}`);
  }
  const names = paramNames(x);
  checkDirection(names, x, v);
  const xs = names.map((n) => x[n]!);
  const out = tf.tidy(() => {
    const vs = names.map((n) => stopGradient(v[n]!));
    const hv = mode === 'exact' ? exactHvp(f, names, xs, vs) : finiteDifferenceHvp(f, names, xs, vs, options.r, scheme);
    const m: Record<string, tf.Tensor> = {};
    names.forEach((n, i) => (m[n] = hv[i]!));
    return m;
  });
  return out;
}

function checkDirection(names: readonly string[], x: Params, v: Params): void {
  const vNames = paramNames(v);
  if (vNames.length !== names.length || vNames.some((n, i) => n !== names[i])) {
    throw new MetaLearnError('shapeMismatch', `hessianVectorProduct: v must have the names of x (${names.join(', ')}), got (${vNames.join(', ')})`);
  }
  for (const n of names) {
    const xi = x[n]!;
    const vi = v[n]!;
    if (xi.dtype !== 'float32' || vi.dtype !== 'float32') {
      throw new MetaLearnError('invalidArgument', `hessianVectorProduct: x['${n}'] and v['${n}'] must be float32, got ${xi.dtype} and ${vi.dtype}`);
    }
    if (xi.shape.length !== vi.shape.length || xi.shape.some((d, i) => d !== vi.shape[i])) {
      throw new MetaLearnError('shapeMismatch', `hessianVectorProduct: v['${n}'] must be [${xi.shape.join(', ')}] like x, got [${vi.shape.join(', ')}]`);
    }
  }
}

function rebuild(names: readonly string[], ts: readonly tf.Tensor[]): Params {
  const p: Record<string, tf.Tensor> = {};
  names.forEach((n, i) => (p[n] = ts[i]!));
  return p;
}

function scalarOf(f: ParamsObjective, p: Params): tf.Scalar {
  const y = f(p);
  if (!(y instanceof tf.Tensor) || y.rank !== 0) {
    const got = y instanceof tf.Tensor ? `shape [${y.shape.join(', ')}]` : typeof y;
    throw new MetaLearnError('invalidArgument', `hessianVectorProduct: f must return a scalar tf.Tensor, got ${got}`);
  }
  return y;
}

/**
 * `tf.engine().gradients` allowing unconnected `xs` (their gradient is `undefined`). When `f`
 * throws, tfjs leaves the tape's saved tensors alive (it frees them only when the outermost
 * `gradients` returns); they are disposed here, at the outermost level, before rethrowing.
 */
function engineGradients(f: () => tf.Scalar, xs: readonly tf.Tensor[]): tf.Tensor[] {
  const engine = tf.engine();
  try {
    const { value, grads } = engine.gradients(f, [...xs], undefined, true);
    value.dispose();
    return grads;
  } catch (err) {
    if (engine.state.gradientDepth === 0 && engine.state.activeTape != null) {
      for (const node of engine.state.activeTape) for (const t of node.saved ?? []) t.dispose();
      engine.state.activeTape = [];
    }
    throw err;
  }
}

/** `∇f` at `xs` (zeros for entries `f` does not depend on); differentiable under an enclosing tape. */
function gradient(f: ParamsObjective, names: readonly string[], xs: readonly tf.Tensor[]): tf.Tensor[] {
  const grads = engineGradients(() => scalarOf(f, rebuild(names, xs)), xs);
  return xs.map((xi, i) => grads[i] ?? tf.zerosLike(xi));
}

function exactHvp(f: ParamsObjective, names: readonly string[], xs: readonly tf.Tensor[], vs: readonly tf.Tensor[]): tf.Tensor[] {
  const inner = (): tf.Scalar => {
    const g = gradient(f, names, xs);
    return tf.addN(g.map((gi, i) => tf.sum(tf.mul(gi, vs[i]!)))) as tf.Scalar;
  };
  const grads = engineGradients(inner, xs);
  return xs.map((xi, i) => grads[i] ?? tf.zerosLike(xi));
}

function finiteDifferenceHvp(
  f: ParamsObjective,
  names: readonly string[],
  xs: readonly tf.Tensor[],
  vs: readonly tf.Tensor[],
  rOption: number | undefined,
  scheme: 'forward' | 'central',
): tf.Tensor[] {
  const vNorm = Math.sqrt(tf.addN(vs.map((vi) => tf.sum(tf.square(vi)))).dataSync()[0]!);
  if (vNorm === 0) return xs.map((xi) => tf.zerosLike(xi));
  if (!Number.isFinite(vNorm)) {
    throw new MetaLearnError('nonFinite', `hessianVectorProduct: v must be finite, got ||v|| = ${vNorm}`);
  }
  const r = rOption ?? 1e-2 / vNorm;
  const shifted = (sign: number): tf.Tensor[] => gradient(f, names, xs.map((xi, i) => tf.add(xi, tf.mul(sign * r, vs[i]!))));
  const gPlus = shifted(1);
  const gBase = scheme === 'forward' ? gradient(f, names, xs) : shifted(-1);
  const scale = scheme === 'forward' ? 1 / r : 1 / (2 * r);
  return gPlus.map((gp, i) => tf.mul(tf.sub(gp, gBase[i]!), scale));
}
