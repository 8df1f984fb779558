/**
 * Gradient of `FusedBatchNorm` (`tf.batchNorm`) with respect to all five inputs.
 *
 * Maths: y = (x - μ)·r·γ + β with r = (σ² + ε)^(-1/2):
 * ∂L/∂x = dy·r·γ, ∂L/∂μ = -Σ dy·r·γ, ∂L/∂σ² = -½ Σ dy·γ·(x - μ)·r³, ∂L/∂γ = Σ dy·(x - μ)·r,
 * ∂L/∂β = Σ dy (sums over the axes along which each parameter was broadcast). μ and σ² are
 * inputs, so batch statistics computed with `tf.moments` keep their full (and second-order)
 * dependence on x through their own ops. `tf.batchNorm` must be given `scale` and `offset`
 * (the engine cannot record a kernel with a missing input).
 * @see Ioffe & Szegedy 2015, "Batch Normalization", algorithm 1
 */
import * as tf from '@tensorflow/tfjs-core';
import { reduceToShape, single } from './util.js';

/** `FusedBatchNorm`: gradients for x, mean, variance, scale, offset. */
export const fusedBatchNormGradConfig: tf.GradConfig = {
  kernelName: tf.FusedBatchNorm,
  inputsToSave: ['x', 'mean', 'variance', 'scale', 'offset'],
  gradFunc: (dy, saved, attrs) => {
    const g = single(dy);
    const [x, mean, variance, scale, offset] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const eps = attrs['varianceEpsilon'] as number;
    const r = (): tf.Tensor => tf.rsqrt(tf.add(variance, eps));
    return {
      x: () => reduceToShape(tf.mul(tf.mul(g, r()), scale), x.shape),
      mean: () => reduceToShape(tf.neg(tf.mul(tf.mul(g, r()), scale)), mean.shape),
      variance: () => {
        const rr = r();
        const r3 = tf.mul(tf.square(rr), rr);
        return reduceToShape(tf.mul(tf.mul(tf.mul(g, scale), tf.sub(x, mean)), tf.mul(r3, -0.5)), variance.shape);
      },
      scale: () => reduceToShape(tf.mul(g, tf.mul(tf.sub(x, mean), r())), scale.shape),
      offset: () => reduceToShape(g, offset.shape),
    };
  },
};
