/**
 * Gradient of `AvgPoolGrad` (missing in tfjs 4.22). dx = A^T dy with A the average pool, so
 * d<ddx, dx>/d dy = A ddx = AvgPool(ddx); the pooled input only gives the shape (zero gradient).
 */
import * as tf from '@tensorflow/tfjs-core';
import { single } from '../gradients/util.js';
import { avgPool, type PoolAttrs } from './ops.js';

/** Inputs `dy: float32 [N, Ho, Wo, C]`, `input: float32 [N, H, W, C]`; upstream `ddx` like input. */
export const avgPoolGradGradConfig: tf.GradConfig = {
  kernelName: 'AvgPoolGrad',
  inputsToSave: ['input'],
  gradFunc: (ddx, saved, attrs) => {
    const [input] = saved as [tf.Tensor];
    return {
      dy: () => avgPool(single(ddx), attrs as unknown as PoolAttrs),
      input: () => tf.zerosLike(input),
    };
  },
};
