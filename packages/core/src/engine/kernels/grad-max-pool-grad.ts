/**
 * Gradient of `MaxPoolGrad` (missing in tfjs 4.22). dx = A^T dy is linear in dy, where A picks
 * each window's first maximum; so d<ddx, dx>/d dy = A ddx = MetaLearnMaxPoolGather(ddx). With
 * respect to the pooled input and output it is zero almost everywhere (the routing is piecewise
 * constant), as in TensorFlow.
 */
import * as tf from '@tensorflow/tfjs-core';
import { single } from '../gradients/util.js';
import { maxPoolGather, type PoolAttrs } from './ops.js';

/**
 * Inputs `dy: float32 [N, Ho, Wo, C]`, `input: float32 [N, H, W, C]`, `output: float32
 * [N, Ho, Wo, C]`; upstream `ddx: float32 [N, H, W, C]`.
 */
export const maxPoolGradGradConfig: tf.GradConfig = {
  kernelName: 'MaxPoolGrad',
  inputsToSave: ['input', 'output'],
  gradFunc: (ddx, saved, attrs) => {
    const [input, output] = saved as [tf.Tensor, tf.Tensor];
    return {
      dy: () => maxPoolGather(single(ddx), input, output, attrs as unknown as PoolAttrs),
      input: () => tf.zerosLike(input),
      output: () => tf.zerosLike(output),
    };
  },
};
