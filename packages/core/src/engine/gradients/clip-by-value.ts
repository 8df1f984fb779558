/**
 * Gradient of `ClipByValue`, re-registered (tfjs's needs gradients for `LessEqual` and
 * `LogicalAnd` at second order).
 *
 * Maths: d/dx clip(x, lo, hi) = 1 for lo ≤ x ≤ hi, else 0 (the tfjs convention at the bounds).
 */
import * as tf from '@tensorflow/tfjs-core';
import { asFloat, mask, single } from './util.js';

/** `ClipByValue`: `dx = dy · [lo ≤ x ≤ hi]`. */
export const clipByValueGradConfig: tf.GradConfig = {
  kernelName: tf.ClipByValue,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const g = single(dy);
    const lo = attrs['clipValueMin'] as number;
    const hi = attrs['clipValueMax'] as number;
    return {
      x: () => {
        const x = asFloat(saved[0]!);
        return tf.mul(g, mask(tf.logicalAnd(tf.greaterEqual(x, lo), tf.lessEqual(x, hi))));
      },
    };
  },
};
