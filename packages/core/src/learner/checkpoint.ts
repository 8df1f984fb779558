/**
 * Tensors to and from the JSON form of a {@link LearnerState}.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '../errors.js';
import type { LearnerState } from '../learner.js';

/** One serialised tensor: its shape and its float32 values as plain numbers (row-major). */
export interface SerialTensor {
  readonly shape: readonly number[];
  readonly values: readonly number[];
}

/**
 * Reads a tensor into plain numbers. float32 values are exact in JSON: every float32 is a
 * double, and `JSON.stringify` prints the shortest decimal that parses back to it.
 */
export function serialiseTensor(t: tf.Tensor): SerialTensor {
  return { shape: [...t.shape], values: Array.from(t.dataSync()) };
}

/**
 * Checks a checkpoint's tensors against the expected names and shapes, before anything is loaded.
 * @param state - the checkpoint.
 * @param expected - name → shape of every tensor the learner holds.
 * @param fn - the caller, for messages (`load`).
 * @throws MetaLearnError `checkpoint` naming the first missing, unexpected, misshapen or
 *   non-finite tensor.
 */
export function checkCheckpointTensors(state: LearnerState, expected: ReadonlyMap<string, readonly number[]>, fn: string): void {
  const tensors = state.tensors;
  if (tensors === null || typeof tensors !== 'object') throw new MetaLearnError('checkpoint', `${fn}: state.tensors must be an object of { shape, values }, got ${String(tensors)}`);
  for (const [name, shape] of expected) {
    const entry = tensors[name];
    if (entry === undefined) throw new MetaLearnError('checkpoint', `${fn}: state.tensors has no '${name}' (expected shape [${shape.join(', ')}])`);
    const gotShape = entry.shape;
    if (!Array.isArray(gotShape) || gotShape.length !== shape.length || gotShape.some((d, i) => d !== shape[i])) {
      throw new MetaLearnError('checkpoint', `${fn}: state.tensors['${name}'].shape must be [${shape.join(', ')}], got ${JSON.stringify(gotShape)}`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (!Array.isArray(entry.values) || entry.values.length !== size) {
      throw new MetaLearnError('checkpoint', `${fn}: state.tensors['${name}'].values must hold ${size} numbers, got ${Array.isArray(entry.values) ? entry.values.length : typeof entry.values}`);
    }
    for (let i = 0; i < entry.values.length; i++) {
      const v = entry.values[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new MetaLearnError('checkpoint', `${fn}: state.tensors['${name}'].values[${i}] must be a finite number, got ${String(v)}`);
      }
    }
  }
  for (const name of Object.keys(tensors)) {
    if (!expected.has(name)) throw new MetaLearnError('checkpoint', `${fn}: state.tensors has '${name}', which this learner does not hold`);
  }
}
