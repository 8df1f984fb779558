/**
 * Gradients of the gather/scatter family: `GatherV2`, `GatherNd`, `ScatterNd`,
 * `UnsortedSegmentSum`. Indices are integers and get zero gradients (float32, as the engine
 * requires; tfjs returned the int indices themselves, which fails whenever they are connected).
 *
 * Maths: gather is a selection G (rows of the identity), so ∂L/∂x = Gᵀ dy, a scatter-add with
 * duplicates summed; scatter-add is Gᵀ, so its gradient is the gather G ddy. tfjs builds the
 * `GatherV2` gradient from `UnsortedSegmentSum`, a kernel the wasm backend lacks; here it is a
 * `ScatterNd` (present on cpu and wasm), whose own gradient is a `GatherNd`, and back: every
 * order is available on both backends.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '../../errors.js';
import { single, zerosFor } from './util.js';

/** `GatherV2` (batchDims 0): `dx = scatterAdd(indices, dy)` along `axis`. */
export const gatherV2GradConfig: tf.GradConfig = {
  kernelName: tf.GatherV2,
  inputsToSave: ['x', 'indices'],
  gradFunc: (dy, saved, attrs) => {
    const [x, indices] = saved as [tf.Tensor, tf.Tensor];
    const axis = tf.util.parseAxisParam(attrs['axis'] as number, x.shape)[0]!;
    if ((attrs['batchDims'] as number | undefined ?? 0) !== 0) {
      throw new MetaLearnError('unsupported', `GatherV2 gradient: batchDims must be 0, got ${String(attrs['batchDims'])}`);
    }
    return {
      x: () => {
        const outer = x.shape.slice(0, axis).reduce((p, d) => p * d, 1);
        const n = x.shape[axis]!;
        const inner = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
        const k = indices.size;
        // dy: [outer..., indices.shape..., inner...] → [K, outer, inner]
        const g = tf.transpose(tf.reshape(single(dy), [outer, k, inner]), [1, 0, 2]);
        const summed = tf.scatterND(tf.reshape(indices, [k, 1]), g, [n, outer, inner]);
        return tf.reshape(tf.transpose(summed, [1, 0, 2]), x.shape);
      },
      indices: () => zerosFor(indices),
    };
  },
};

/** `GatherNd`: `dparams = scatterND(indices, dy, params.shape)`. */
export const gatherNdGradConfig: tf.GradConfig = {
  kernelName: tf.GatherNd,
  inputsToSave: ['params', 'indices'],
  gradFunc: (dy, saved) => {
    const [params, indices] = saved as [tf.Tensor, tf.Tensor];
    return {
      params: () => tf.scatterND(indices, single(dy), params.shape),
      indices: () => zerosFor(indices),
    };
  },
};

/** `ScatterNd`: `dupdates = gatherND(dy, indices)`. */
export const scatterNdGradConfig: tf.GradConfig = {
  kernelName: tf.ScatterNd,
  inputsToSave: ['indices'],
  gradFunc: (dy, saved) => {
    const indices = saved[0]!;
    return {
      updates: () => tf.gatherND(single(dy), indices),
      indices: () => zerosFor(indices),
    };
  },
};

/** `UnsortedSegmentSum`: `dx = dy[segmentIds]` (0 where an id is negative). */
export const unsortedSegmentSumGradConfig: tf.GradConfig = {
  kernelName: tf.UnsortedSegmentSum,
  inputsToSave: ['segmentIds'],
  gradFunc: (dy, saved) => {
    const ids = saved[0]!;
    return {
      x: () => {
        const g = single(dy);
        const picked = tf.gather(g, tf.maximum(ids, tf.scalar(0, 'int32')));
        const keepShape = [...ids.shape, ...g.shape.slice(1).map(() => 1)];
        const keep = tf.reshape(tf.greaterEqual(ids, 0), keepShape);
        return tf.where(tf.logicalAnd(keep, tf.ones(picked.shape, 'bool')), picked, tf.zerosLike(picked));
      },
      segmentIds: () => zerosFor(ids),
    };
  },
};
