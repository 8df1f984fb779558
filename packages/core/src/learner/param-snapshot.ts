/**
 * {@link ParamSnapshot}s: a learner's meta-parameter values, meta-step and seed as plain arrays,
 * what a copy of the learner in a worker thread needs to compute meta-gradients at the same point.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '../errors.js';
import type { ParamSnapshot } from '../learner.js';
import type { ParamShapes } from './meta-gradient.js';

/**
 * A snapshot of `variables` (copies: each array owns its buffer, so it can be transferred).
 * @param variables - name → meta-parameter tensor.
 * @param step - the meta-step; @param seed - the run seed.
 */
export function takeSnapshot(variables: Readonly<Record<string, tf.Tensor>>, step: number, seed: number): ParamSnapshot {
  const values: Record<string, Float32Array> = {};
  for (const name of Object.keys(variables).sort()) values[name] = new Float32Array(variables[name]!.dataSync() as Float32Array);
  return { step, seed, values };
}

/**
 * Checks a snapshot against a learner's meta-parameters before anything is set.
 * @param snapshot - `step` an integer >= 0, `seed` a safe integer, `values` a Float32Array of the
 *   right size for every name of `shapes` and no other.
 * @param shapes - the learner's meta-parameter shapes.
 * @param fn - the caller, for messages (`importParams`).
 * @throws MetaLearnError `invalidArgument` naming the field.
 */
export function checkSnapshot(snapshot: ParamSnapshot, shapes: ParamShapes, fn: string): void {
  if (snapshot === null || typeof snapshot !== 'object' || snapshot.values === null || typeof snapshot.values !== 'object') {
    throw new MetaLearnError('invalidArgument', `${fn}: snapshot must be a ParamSnapshot { step, seed, values }`);
  }
  if (!(Number.isInteger(snapshot.step) && snapshot.step >= 0)) throw new MetaLearnError('invalidArgument', `${fn}: snapshot.step must be an integer >= 0, got ${String(snapshot.step)}`);
  if (!Number.isSafeInteger(snapshot.seed)) throw new MetaLearnError('invalidArgument', `${fn}: snapshot.seed must be a safe integer, got ${String(snapshot.seed)}`);
  for (const [name, shape] of shapes) {
    const a = snapshot.values[name];
    const size = shape.reduce((x, y) => x * y, 1);
    if (!(a instanceof Float32Array) || a.length !== size) {
      throw new MetaLearnError('invalidArgument', `${fn}: snapshot.values['${name}'] must be a Float32Array of ${size} values (shape [${shape.join(', ')}]), got ${a instanceof Float32Array ? `${a.length} values` : typeof a}`);
    }
  }
  for (const name of Object.keys(snapshot.values)) {
    if (!shapes.has(name)) throw new MetaLearnError('invalidArgument', `${fn}: snapshot.values has '${name}', which is not a meta-parameter of this learner`);
  }
}

/**
 * Assigns checked snapshot values to the learner's variables.
 * @param variables - name → variable; @param snapshot - checked by {@link checkSnapshot}.
 */
export function assignSnapshot(variables: Readonly<Record<string, tf.Variable>>, snapshot: ParamSnapshot): void {
  for (const [name, v] of Object.entries(variables)) {
    const t = tf.tensor(snapshot.values[name]!, v.shape, 'float32');
    v.assign(t);
    t.dispose();
  }
}
