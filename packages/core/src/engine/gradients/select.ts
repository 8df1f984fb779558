/**
 * Gradient of `Select` (`tf.where(condition, t, e)`; the op broadcasts all three to one shape
 * before the kernel).
 *
 * Maths: ∂/∂t = [condition], ∂/∂e = [¬condition], ∂/∂condition = 0. Written with `where` rather
 * than a multiplication by a 0/1 mask so that an infinite `dy` in the unselected branch gives 0,
 * not NaN.
 */
import * as tf from '@tensorflow/tfjs-core';
import { single, zerosFor } from './util.js';

/** `Select`: `dt = where(c, dy, 0)`, `de = where(c, 0, dy)`, `dc = 0`. */
export const selectGradConfig: tf.GradConfig = {
  kernelName: tf.Select,
  inputsToSave: ['condition'],
  gradFunc: (dy, saved) => {
    const g = single(dy);
    const condition = saved[0]!;
    return {
      condition: () => zerosFor(condition),
      t: () => tf.where(condition, g, tf.zerosLike(g)),
      e: () => tf.where(condition, tf.zerosLike(g), g),
    };
  },
};
