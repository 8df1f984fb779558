/**
 * The inner learning rates of the gradient solver: a constant `alpha`, or learned rates stored in
 * the solver's meta-parameters under `lr/<parameter name>`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError, type Params } from '@metalearn/core';

/** Which inner learning rates are learned. */
export interface InnerLrMode {
  /** Meta-SGD: one rate per parameter element. */
  readonly metaSgd: boolean;
  /** MAML++ LSLR: one rate per parameter tensor and inner step. */
  readonly perStepLrs: boolean;
  /** `K`, the number of meta-training inner steps (length of per-step rates). */
  readonly innerSteps: number;
  /** `alpha`, the constant rate, or the initial value of learned ones. */
  readonly innerLr: number;
}

/** The solver-parameter name of the learned rate of parameter `name`. */
export function lrName(name: string): string {
  return `lr/${name}`;
}

/**
 * Shape of the learned rate of a parameter of shape `shape`:
 * Meta-SGD `shape`, LSLR `[K]`, both `[K, ...shape]`; `undefined` when rates are not learned.
 */
export function lrShape(mode: InnerLrMode, shape: readonly number[]): number[] | undefined {
  if (mode.metaSgd && mode.perStepLrs) return [mode.innerSteps, ...shape];
  if (mode.metaSgd) return [...shape];
  if (mode.perStepLrs) return [mode.innerSteps];
  return undefined;
}

/**
 * Initial learned rates, every entry `innerLr` (learn2learn's MetaSGD and the MAML++ reference
 * initialise this way), one tensor per adapted parameter.
 * @param mode - which rates are learned.
 * @param theta - the model's meta-parameters.
 * @param adapted - names of the adapted parameters.
 * @returns `{ 'lr/<name>': float32 lrShape }`; empty when no rate is learned.
 */
export function initInnerLrs(mode: InnerLrMode, theta: Params, adapted: readonly string[]): Params {
  const out: Record<string, tf.Tensor> = {};
  for (const name of adapted) {
    const shape = lrShape(mode, theta[name]!.shape);
    if (shape !== undefined) out[lrName(name)] = tf.fill(shape, mode.innerLr, 'float32');
  }
  return out;
}

/**
 * Checks that `solverParams` holds a learned rate of the right shape for every adapted parameter.
 * @throws MetaLearnError `invalidArgument` naming the missing or misshapen rate.
 */
export function checkInnerLrs(caller: string, mode: InnerLrMode, theta: Params, solverParams: Params, adapted: readonly string[]): void {
  for (const name of adapted) {
    const shape = lrShape(mode, theta[name]!.shape);
    if (shape === undefined) continue;
    const lr = solverParams[lrName(name)];
    if (lr === undefined) {
      throw new MetaLearnError('invalidArgument', `${caller}: solverParams has no '${lrName(name)}' (learned inner learning rate of '${name}'; build solverParams with initParams)`);
    }
    if (lr.shape.length !== shape.length || lr.shape.some((d, i) => d !== shape[i])) {
      throw new MetaLearnError('invalidArgument', `${caller}: solverParams['${lrName(name)}'] must have shape [${shape.join(', ')}], got [${lr.shape.join(', ')}]`);
    }
  }
}

/**
 * The rate of parameter `name` at inner step `k`: the number `alpha`, or the learned tensor
 * (a scalar for LSLR, an element-wise tensor for Meta-SGD), differentiable w.r.t. the rates.
 * Per-step rates are indexed by `min(k, K - 1)`: evaluation steps beyond the `K` meta-trained
 * ones reuse the last rate.
 */
export function innerLrAt(mode: InnerLrMode, solverParams: Params, name: string, k: number): number | tf.Tensor {
  if (!mode.metaSgd && !mode.perStepLrs) return mode.innerLr;
  const lr = solverParams[lrName(name)]!;
  if (!mode.perStepLrs) return lr;
  const rest = lr.shape.slice(1);
  const begin = [Math.min(k, mode.innerSteps - 1), ...rest.map(() => 0)];
  const size = [1, ...rest];
  return tf.reshape(tf.slice(lr, begin, size), rest);
}
