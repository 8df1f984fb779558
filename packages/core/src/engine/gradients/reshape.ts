/**
 * Gradients of the kernels that only move elements without changing them: `Reshape`,
 * `ExpandDims`, `Transpose`, `Reverse`, `BroadcastTo`.
 *
 * Maths: each is a linear map P (a permutation, or a copy for `BroadcastTo`), so
 * ∂L/∂x = Pᵀ dy: reshape back, transpose by the inverse permutation, reverse again, or sum over
 * the broadcast axes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { reduceToShape, single } from './util.js';

/** `Reshape`: `dx = reshape(dy, x.shape)`. */
export const reshapeGradConfig: tf.GradConfig = {
  kernelName: tf.Reshape,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => ({ x: () => tf.reshape(single(dy), saved[0]!.shape) }),
};

/** `ExpandDims`: `dinput = reshape(dy, input.shape)`. */
export const expandDimsGradConfig: tf.GradConfig = {
  kernelName: tf.ExpandDims,
  inputsToSave: ['input'],
  gradFunc: (dy, saved) => ({ input: () => tf.reshape(single(dy), saved[0]!.shape) }),
};

/** `Transpose`: `dx = transpose(dy, perm⁻¹)`. */
export const transposeGradConfig: tf.GradConfig = {
  kernelName: tf.Transpose,
  gradFunc: (dy, _saved, attrs) => {
    const perm = attrs['perm'] as number[];
    const inverse = tf.backend_util.getUndoAxesPermutation(perm);
    return { x: () => tf.transpose(single(dy), inverse) };
  },
};

/** `Reverse`: `dx = reverse(dy, dims)`. */
export const reverseGradConfig: tf.GradConfig = {
  kernelName: tf.Reverse,
  gradFunc: (dy, _saved, attrs) => {
    const g = single(dy);
    return { x: () => tf.reverse(g, tf.util.parseAxisParam(attrs['dims'] as number | number[], g.shape)) };
  },
};

/** `BroadcastTo`: `dx = Σ_{broadcast axes} dy`. */
export const broadcastToGradConfig: tf.GradConfig = {
  kernelName: tf.BroadcastTo,
  gradFunc: (dy, _saved, attrs) => ({ x: () => reduceToShape(single(dy), attrs['inputShape'] as number[]) }),
};
