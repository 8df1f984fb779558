/**
 * Gradient of `BatchMatMul` (`tf.matMul`), for every combination of transposes.
 *
 * Maths: C = op(A)·op(B) ⇒ ∂L/∂A = dC·op(B)ᵀ (transposed back if A was), ∂L/∂B = op(A)ᵀ·dC
 * (idem). Both are matrix products of recorded tensors, so second derivatives are kept. Batch
 * dimensions that were broadcast are summed back.
 */
import * as tf from '@tensorflow/tfjs-core';
import { reduceToShape, single } from './util.js';

/** `BatchMatMul`: the four cases of `transposeA`/`transposeB`. */
export const batchMatMulGradConfig: tf.GradConfig = {
  kernelName: tf.BatchMatMul,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    const g = single(dy);
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    const tA = attrs['transposeA'] as boolean;
    const tB = attrs['transposeB'] as boolean;
    const fit = (t: tf.Tensor, like: tf.Tensor): tf.Tensor =>
      t.rank === like.rank && tf.util.arraysEqual(t.shape, like.shape) ? t : reduceToShape(t, like.shape);
    let da: () => tf.Tensor;
    let db: () => tf.Tensor;
    if (!tA && !tB) {
      da = () => tf.matMul(g, b, false, true);
      db = () => tf.matMul(a, g, true, false);
    } else if (!tA && tB) {
      da = () => tf.matMul(g, b, false, false);
      db = () => tf.matMul(g, a, true, false);
    } else if (tA && !tB) {
      da = () => tf.matMul(b, g, false, true);
      db = () => tf.matMul(a, g, false, false);
    } else {
      da = () => tf.matMul(b, g, true, true);
      db = () => tf.matMul(g, a, true, true);
    }
    return { a: () => fit(da(), a), b: () => fit(db(), b) };
  },
};
