/**
 * Gradients of `Sum` and `Mean`.
 *
 * Maths: y = Σ_{axes} x ⇒ ∂L/∂x = dy broadcast back over the reduced axes; for the mean, divided
 * by the number of reduced elements.
 */
import * as tf from '@tensorflow/tfjs-core';
import { single } from './util.js';

/** `dy` (reduced over `axis`) reshaped with the reduced axes kept, then broadcast to `x.shape`. */
function broadcastBack(g: tf.Tensor, x: tf.Tensor, axis: number | number[]): tf.Tensor {
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return tf.mul(tf.reshape(g, kept), tf.ones(x.shape, 'float32'));
}

/** `Sum`: `dx = broadcast(dy)`. */
export const sumGradConfig: tf.GradConfig = {
  kernelName: tf.Sum,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const x = saved[0]!;
    return { x: () => broadcastBack(single(dy), x, attrs['axis'] as number | number[]) };
  },
};

/** `Mean`: `dx = broadcast(dy) / n`, n the number of reduced elements. */
export const meanGradConfig: tf.GradConfig = {
  kernelName: tf.Mean,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const x = saved[0]!;
    const axis = attrs['axis'] as number | number[];
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const n = axes.reduce((p, a) => p * x.shape[a]!, 1);
    return { x: () => tf.div(broadcastBack(single(dy), x, axis), n) };
  },
};
