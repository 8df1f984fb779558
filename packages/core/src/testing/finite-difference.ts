/**
 * Directional finite-difference checks of a gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import { paramNames, type Params } from '../params.js';
import type { Rng } from '../random.js';

/** The outcome of one directional check. */
export interface DirectionalCheck {
  /** Which direction: a parameter's name (direction within that tensor) or `'all#k'`. */
  readonly label: string;
  /** `g . u`, from the analytic gradient. */
  readonly analytic: number;
  /** `(L(p + h u) - L(p - h u)) / (2 h)`. */
  readonly numeric: number;
  /** `|numeric - analytic|`. */
  readonly error: number;
  /** `atol + rtol * max(|numeric|, |analytic|)`. */
  readonly tolerance: number;
  readonly pass: boolean;
}

/**
 * A random unit direction `u` (Gaussian, normalised over every tensor it touches), restricted to
 * the names `only` selects.
 * @param rng - random source.
 * @param params - gives names and shapes.
 * @param only - which tensors the direction moves.
 * @returns one tensor per name of `params` (zeros outside `only`).
 */
export function randomDirection(rng: Rng, params: Params, only: (name: string) => boolean): Params {
  const names = paramNames(params);
  const raw: Record<string, Float32Array> = {};
  let sq = 0;
  for (const n of names) {
    const v = new Float32Array(params[n]!.size);
    if (only(n)) for (let i = 0; i < v.length; i++) { v[i] = rng.normal(); sq += v[i]! * v[i]!; }
    raw[n] = v;
  }
  const norm = Math.sqrt(sq) || 1;
  const out: Record<string, tf.Tensor> = {};
  for (const n of names) out[n] = tf.tensor(raw[n]!.map((x) => x / norm), params[n]!.shape, 'float32');
  return out;
}

/**
 * Compares the analytic directional derivative `g . u` with the central difference
 * `(L(p + h u) - L(p - h u)) / (2 h)`; error `O(h^2 L''')` plus float32 rounding `~ eps |L| / h`.
 * @param loss - evaluates the objective at a point (a number; must not leak tensors).
 * @param params - the point `p`.
 * @param grads - `dL/dp` (`null` = zero).
 * @param direction - unit `u`, same names and shapes.
 * @param h - step size.
 * @param rtol - relative tolerance.
 * @param atol - absolute tolerance.
 * @param label - for reports.
 */
export function checkDirectionalDerivative(
  loss: (p: Params) => number,
  params: Params,
  grads: Readonly<Record<string, tf.Tensor | null>>,
  direction: Params,
  h: number,
  rtol: number,
  atol: number,
  label: string,
): DirectionalCheck {
  const names = paramNames(params);
  const analytic = tf.tidy(() => names.reduce((s, n) => (grads[n] ? s + tf.sum(tf.mul(grads[n]!, direction[n]!)).dataSync()[0]! : s), 0));
  const at = (sign: number): number => {
    const moved = tf.tidy(() => Object.fromEntries(names.map((n) => [n, tf.add(params[n]!, tf.mul(direction[n]!, sign * h))])) as Record<string, tf.Tensor>);
    try {
      return loss(moved);
    } finally {
      tf.dispose(Object.values(moved));
    }
  };
  const numeric = (at(1) - at(-1)) / (2 * h);
  const error = Math.abs(numeric - analytic);
  const tolerance = atol + rtol * Math.max(Math.abs(numeric), Math.abs(analytic));
  return { label, analytic, numeric, error, tolerance, pass: Number.isFinite(error) && error <= tolerance };
}
