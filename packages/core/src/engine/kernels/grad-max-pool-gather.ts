/**
 * Gradient of `MetaLearnMaxPoolGather` (out = A dx): d<g, out>/d dx = A^T g = MaxPoolGrad(g),
 * zero with respect to the pooled input and output. With grad-max-pool-grad.ts this closes
 * max pooling under differentiation, to any order.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MAX_POOL_GATHER } from './kernel-max-pool-gather.js';
import { single } from '../gradients/util.js';
import { maxPoolGrad, type PoolAttrs } from './ops.js';

/**
 * Inputs `dx: float32 [N, H, W, C]`, `input: float32 [N, H, W, C]`, `output: float32
 * [N, Ho, Wo, C]`; upstream `g: float32 [N, Ho, Wo, C]`.
 */
export const maxPoolGatherGradConfig: tf.GradConfig = {
  kernelName: MAX_POOL_GATHER,
  inputsToSave: ['input', 'output'],
  gradFunc: (g, saved, attrs) => {
    const [input, output] = saved as [tf.Tensor, tf.Tensor];
    return {
      dx: () => maxPoolGrad(single(g), input, output, attrs as unknown as PoolAttrs),
      input: () => tf.zerosLike(input),
      output: () => tf.zerosLike(output),
    };
  },
};
