/**
 * Gradients of the kernels that join or split tensors: `Concat`, `Pack` (stack), `Unpack`
 * (unstack), `SplitV` (split), `Tile`.
 *
 * Maths: each is a linear copy P; ∂L/∂x = Pᵀ dy — split what was concatenated, unstack what was
 * stacked, and the reverse; for `Tile`, the sum of the copies.
 */
import * as tf from '@tensorflow/tfjs-core';
import { single } from './util.js';

/** `Concat`: `dx_i = split(dy, sizes, axis)[i]`. */
export const concatGradConfig: tf.GradConfig = {
  kernelName: tf.Concat,
  saveAllInputs: true,
  gradFunc: (dy, saved, attrs) => {
    const axis = tf.util.parseAxisParam(attrs['axis'] as number, saved[0]!.shape)[0]!;
    const sizes = saved.map((t) => t.shape[axis]!);
    const out: Record<string, () => tf.Tensor> = {};
    let begin = 0;
    saved.forEach((t, i) => {
      const start = t.shape.map((_, d) => (d === axis ? begin : 0));
      begin += sizes[i]!;
      out[i] = () => tf.slice(single(dy), start, t.shape);
    });
    return out;
  },
};

/** `Pack`: `dx_i = unstack(dy, axis)[i]` (a slice of `dy` at index i along `axis`). */
export const packGradConfig: tf.GradConfig = {
  kernelName: tf.Pack,
  gradFunc: (dy, _saved, attrs) => {
    const g = single(dy);
    const raw = attrs['axis'] as number;
    const axis = raw < 0 ? raw + g.rank : raw;
    const itemShape = g.shape.filter((_, d) => d !== axis);
    const size = g.shape.map((s, d) => (d === axis ? 1 : s));
    const out: Record<string, () => tf.Tensor> = {};
    for (let i = 0; i < g.shape[axis]!; i++) {
      out[i] = () => tf.reshape(tf.slice(g, g.shape.map((_, d) => (d === axis ? i : 0)), size), itemShape);
    }
    return out;
  },
};

/** `Unpack`: `dvalue = stack(dys, axis)` (unused outputs get zeros from the engine). */
export const unpackGradConfig: tf.GradConfig = {
  kernelName: tf.Unpack,
  gradFunc: (dy, _saved, attrs) => {
    const dys = Array.isArray(dy) ? dy : [dy];
    return { value: () => tf.stack(dys, attrs['axis'] as number) };
  },
};

/** `SplitV`: `dx = concat(dys, axis)`. */
export const splitVGradConfig: tf.GradConfig = {
  kernelName: tf.SplitV,
  gradFunc: (dy, _saved, attrs) => {
    const dys = Array.isArray(dy) ? dy : [dy];
    return { x: () => tf.concat(dys, attrs['axis'] as number) };
  },
};

/**
 * `Tile`: `dx = Σ_copies dy`. The tiled axis of size `r·s` is reshaped to `[r, s]` (copy index,
 * element index) and summed over the copy axes.
 */
export const tileGradConfig: tf.GradConfig = {
  kernelName: tf.Tile,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const x = saved[0]!;
    const reps = attrs['reps'] as number[];
    return {
      x: () => {
        const split = x.shape.flatMap((s, i) => [reps[i]!, s]);
        const copyAxes = x.shape.map((_, i) => 2 * i);
        return tf.reshape(tf.sum(tf.reshape(single(dy), split), copyAxes), x.shape);
      },
    };
  },
};
