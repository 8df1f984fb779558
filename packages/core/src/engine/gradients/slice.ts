/**
 * Gradients of `Slice` and `PadV2` (each is the adjoint of the other).
 *
 * Maths: slicing selects a block, so ∂L/∂x is dy zero-padded back into place; padding copies x
 * into a block, so ∂L/∂x is that block of dy.
 */
import * as tf from '@tensorflow/tfjs-core';
import { single } from './util.js';

/** `Slice`: `dx = pad(dy, [begin, rest])`. */
export const sliceGradConfig: tf.GradConfig = {
  kernelName: tf.Slice,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const x = saved[0]!;
    const parsed = tf.slice_util.parseSliceParams(x, attrs['begin'] as number | number[], attrs['size'] as number | number[]);
    const begin = parsed[0]!;
    const size = parsed[1]!;
    const paddings = x.shape.map((d, i) => [begin[i]!, d - begin[i]! - size[i]!] as [number, number]);
    return { x: () => tf.pad(single(dy), paddings) };
  },
};

/** `PadV2`: `dx = slice(dy, before, x.shape)`. */
export const padV2GradConfig: tf.GradConfig = {
  kernelName: tf.PadV2,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const x = saved[0]!;
    const before = (attrs['paddings'] as Array<[number, number]>).map((p) => p[0]);
    return { x: () => tf.slice(single(dy), before, x.shape) };
  },
};
