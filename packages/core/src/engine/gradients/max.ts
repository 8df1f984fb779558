/**
 * Gradients of `Max` and `Min` (reductions), re-registered from the input.
 *
 * Maths: ∂ max_{axes} x / ∂x_i = [x_i = max] (every tied maximum receives dy, the tfjs and
 * TensorFlow convention). tfjs compares with the saved *output* and uses `Equal`, which had no
 * gradient, so any second derivative through `max` threw; here the extremum is recomputed from
 * the input and the mask is piecewise constant (second derivative 0 from the mask, the dy path
 * kept).
 */
import * as tf from '@tensorflow/tfjs-core';
import { mask, single } from './util.js';

function extremumGrad(kernelName: string, axisAttr: string, reduce: (x: tf.Tensor, axes: number[]) => tf.Tensor): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0]!;
      return {
        x: () => {
          const axes = tf.util.parseAxisParam(attrs[axisAttr] as number | number[], x.shape);
          const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
          const at = mask(tf.equal(x, reduce(x, axes)));
          return tf.mul(tf.reshape(single(dy), kept), at);
        },
      };
    },
  };
}

/** `Max`: `dx = dy · [x = max x]`. */
export const maxGradConfig = extremumGrad(tf.Max, 'reductionIndices', (x, axes) => tf.max(x, axes, true));
/** `Min`: `dx = dy · [x = min x]`. */
export const minGradConfig = extremumGrad(tf.Min, 'axis', (x, axes) => tf.min(x, axes, true));
