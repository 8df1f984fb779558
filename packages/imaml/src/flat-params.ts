/**
 * A {@link Params} map as one flat vector and back: the vector space the implicit meta-gradient's
 * conjugate gradient works in.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError, type Params } from '@metalearn/core';

/** The layout of a flattened map: names in order and each tensor's shape and size. */
export interface FlatLayout {
  readonly names: readonly string[];
  readonly shapes: readonly (readonly number[])[];
  readonly sizes: readonly number[];
  /** `P = Σ sizes`. */
  readonly total: number;
}

/**
 * The layout of `params` in the order `names`.
 * @param params - the map (float32 tensors).
 * @param names - which entries, in which order (usually `paramNames(params)`).
 * @returns the {@link FlatLayout}.
 * @throws MetaLearnError `invalidArgument` when a name is missing from `params`.
 */
export function flatLayout(params: Params, names: readonly string[]): FlatLayout {
  const shapes = names.map((n) => {
    const t = params[n];
    if (t === undefined) throw new MetaLearnError('invalidArgument', `flatLayout: params has no '${n}'`);
    return t.shape;
  });
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  return { names, shapes, sizes, total: sizes.reduce((a, b) => a + b, 0) };
}

/**
 * Concatenates the tensors of `params` (row-major) into one vector.
 * Maths: `vec(params) = [vec(params[n_1]); ...; vec(params[n_m])]`, float32 `[P]`.
 * Differentiable (reshape and concat).
 * @param params - the map.
 * @param layout - from {@link flatLayout}; shapes must match.
 * @returns float32 `[P]`.
 * @throws MetaLearnError `shapeMismatch` when a tensor does not have the layout's shape.
 */
export function flattenParams(params: Params, layout: FlatLayout): tf.Tensor1D {
  return tf.tidy(() => {
    const parts = layout.names.map((n, i) => {
      const t = params[n];
      if (t === undefined || !tf.util.arraysEqual(t.shape, layout.shapes[i] as number[])) {
        throw new MetaLearnError('shapeMismatch', `flattenParams: params['${n}'] must be [${layout.shapes[i]!.join(', ')}], got ${t === undefined ? 'nothing' : `[${t.shape.join(', ')}]`}`);
      }
      return tf.reshape(t, [layout.sizes[i]!]);
    });
    return (parts.length === 1 ? parts[0]! : tf.concat(parts)) as tf.Tensor1D;
  });
}

/**
 * The inverse of {@link flattenParams}: splits a `[P]` vector into the layout's named tensors.
 * Differentiable (split and reshape).
 * @param flat - float32 `[P]`.
 * @param layout - the layout it was flattened with.
 * @returns a map with the layout's names and shapes.
 * @throws MetaLearnError `shapeMismatch` when `flat` is not `[P]`.
 */
export function unflattenParams(flat: tf.Tensor, layout: FlatLayout): Params {
  if (flat.rank !== 1 || flat.shape[0] !== layout.total) {
    throw new MetaLearnError('shapeMismatch', `unflattenParams: flat must be [${layout.total}], got [${flat.shape.join(', ')}]`);
  }
  const pieces = layout.names.length === 1 ? [flat] : tf.split(flat, layout.sizes as number[]);
  const out: Record<string, tf.Tensor> = {};
  layout.names.forEach((n, i) => {
    out[n] = tf.reshape(pieces[i]!, layout.shapes[i] as number[]);
  });
  return out;
}

/**
 * The task-batched {@link flattenParams}: a map of per-task tensors `[T, ...shape]` as one row per
 * task. Maths: `out[t] = vec(params_t)` where `params_t[n] = params[n][t]`, float32 `[T, P]`.
 * Differentiable (reshape and concat).
 * @param params - per-task tensors, `params[n]: [T, ...layout.shapes[i]]`.
 * @param layout - the layout of ONE task's parameters (from {@link flatLayout} on theta).
 * @param tasks - `T >= 1`.
 * @returns float32 `[T, P]`.
 * @throws MetaLearnError `shapeMismatch` when a tensor is not `[T, ...shape]`.
 * @example flattenTaskParams(phi, flatLayout(theta, paramNames(theta)), 25) // [25, 1761] for MAML's sinusoid MLP
 */
export function flattenTaskParams(params: Params, layout: FlatLayout, tasks: number): tf.Tensor2D {
  return tf.tidy(() => {
    const parts = layout.names.map((n, i) => {
      const t = params[n];
      const want = [tasks, ...layout.shapes[i]!];
      if (t === undefined || !tf.util.arraysEqual(t.shape, want)) {
        throw new MetaLearnError('shapeMismatch', `flattenTaskParams: params['${n}'] must be [${want.join(', ')}], got ${t === undefined ? 'nothing' : `[${t.shape.join(', ')}]`}`);
      }
      return tf.reshape(t, [tasks, layout.sizes[i]!]);
    });
    return (parts.length === 1 ? parts[0]! : tf.concat(parts, 1)) as tf.Tensor2D;
  });
}

/**
 * The inverse of {@link flattenTaskParams}: splits `[T, P]` rows into the layout's named per-task
 * tensors `[T, ...shape]`. Differentiable (split and reshape).
 * @param flat - float32 `[T, P]`.
 * @param layout - the layout of one task's parameters.
 * @returns a map with the layout's names, each `[T, ...shape]`.
 * @throws MetaLearnError `shapeMismatch` when `flat` is not `[T, P]`.
 */
export function unflattenTaskParams(flat: tf.Tensor, layout: FlatLayout): Params {
  if (flat.rank !== 2 || flat.shape[1] !== layout.total) {
    throw new MetaLearnError('shapeMismatch', `unflattenTaskParams: flat must be [T, ${layout.total}], got [${flat.shape.join(', ')}]`);
  }
  const tasks = flat.shape[0]!;
  const pieces = layout.names.length === 1 ? [flat] : tf.split(flat, layout.sizes as number[], 1);
  const out: Record<string, tf.Tensor> = {};
  layout.names.forEach((n, i) => {
    out[n] = tf.reshape(pieces[i]!, [tasks, ...layout.shapes[i]!]);
  });
  return out;
}
