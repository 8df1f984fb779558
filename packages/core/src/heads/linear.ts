/**
 * The linear head: logits (or regression outputs) as an affine map of the features.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '../errors.js';
import type { Head } from '../head.js';
import { getParam, type Params } from '../params.js';
import { createRng, deriveSeed } from '../random.js';
import { dense } from '../nn/dense.js';
import { denseTasks } from '../nn/dense-tasks.js';
import { glorotUniform, normalInit, truncatedNormal, zerosInit } from '../nn/init.js';
import { checkInt } from '../backbones/input.js';

/**
 * How the head's weight is drawn (its bias is always zeros):
 * - `'truncatedNormal'` (default, std 0.01): MAML's fully connected layers, including the
 *   sinusoid network's output layer;
 * - `'normal'` (default std 1): MAML's Omniglot output layer (`random_normal`);
 * - `'glorotUniform'`: MAML's mini-ImageNet output layer (`xavier_initializer`);
 * - `'zeros'`: all-zero weight (every class starts equal; the "zero trick" for MAML heads).
 */
export type LinearHeadInit = 'truncatedNormal' | 'normal' | 'glorotUniform' | 'zeros';

/** Every {@link LinearHeadInit}. */
export const LINEAR_HEAD_INITS: readonly LinearHeadInit[] = ['truncatedNormal', 'normal', 'glorotUniform', 'zeros'];

/** Options of {@link createLinearHead}. */
export interface LinearHeadOptions {
  /** Weight initialisation; default `'truncatedNormal'`. */
  readonly init?: LinearHeadInit;
  /** Standard deviation for `'truncatedNormal'` (default 0.01) and `'normal'` (default 1). */
  readonly std?: number;
  /** Whether the head has a bias; default true. */
  readonly bias?: boolean;
}

/**
 * `y = f W + b`: features `f: [B, D]` to outputs `[B, outDim]` (logits for classification).
 *
 * Parameters: `weight` float32 `[D, outDim]`, `bias` float32 `[outDim]` (unless `bias: false`).
 * Task-batched (`applyTasks`): `y[t] = f[t] W_t + b_t` with per-task `W: [T, D, outDim]`,
 * `b: [T, outDim]` or shared ones ({@link denseTasks}).
 * @param options - initialisation scheme and std, bias on or off.
 * @returns a {@link Head} named `'linear'`.
 * @throws MetaLearnError `invalidArgument` on an unknown scheme or a non-positive std.
 * @example
 * const head = createLinearHead();                 // MAML sinusoid output layer
 * const omniglotHead = createLinearHead({ init: 'normal' }); // MAML Omniglot output layer
 */
export function createLinearHead(options: LinearHeadOptions = {}): Head {
  const init = options.init ?? 'truncatedNormal';
  if (!LINEAR_HEAD_INITS.includes(init)) {
    throw new MetaLearnError('invalidArgument', `createLinearHead: options.init must be one of ${LINEAR_HEAD_INITS.join(', ')}, got ${JSON.stringify(init)}`);
  }
  const std = options.std ?? (init === 'normal' ? 1 : 0.01);
  if (!(typeof std === 'number' && std > 0 && Number.isFinite(std))) {
    throw new MetaLearnError('invalidArgument', `createLinearHead: options.std must be > 0, got ${JSON.stringify(options.std)}`);
  }
  const withBias = options.bias ?? true;
  return {
    name: 'linear',
    init(seed: number, featureDim: number, outDim: number): Params {
      checkInt(featureDim, 1, 'linear.init: featureDim');
      checkInt(outDim, 1, 'linear.init: outDim');
      const rng = createRng(deriveSeed(seed, 'weight'));
      const shape = [featureDim, outDim];
      const weight =
        init === 'truncatedNormal' ? truncatedNormal(rng, shape, std)
        : init === 'normal' ? normalInit(rng, shape, std)
        : init === 'glorotUniform' ? glorotUniform(rng, shape, featureDim, outDim)
        : zerosInit(shape);
      return withBias ? { weight, bias: zerosInit([outDim]) } : { weight };
    },
    apply(params: Params, features: tf.Tensor2D): tf.Tensor2D {
      const weight = getParam(params, 'weight', 'linear.apply');
      if (features.rank !== 2 || features.dtype !== 'float32' || features.shape[1] !== weight.shape[0]) {
        throw new MetaLearnError('shapeMismatch', `linear.apply: features must be float32 [B, ${weight.shape[0]}], got ${features.dtype} [${features.shape.join(', ')}]`);
      }
      return dense(features, weight, withBias ? getParam(params, 'bias', 'linear.apply') : undefined);
    },
    applyTasks(params: Params, features: tf.Tensor3D): tf.Tensor3D {
      const weight = getParam(params, 'weight', 'linear.applyTasks');
      const d = weight.shape[weight.rank - 2];
      if (features.rank !== 3 || features.dtype !== 'float32' || features.shape[2] !== d) {
        throw new MetaLearnError('shapeMismatch', `linear.applyTasks: features must be float32 [T, B, ${d}], got ${features.dtype} [${features.shape.join(', ')}]`);
      }
      return denseTasks(features, weight, withBias ? getParam(params, 'bias', 'linear.applyTasks') : undefined, 'linear.applyTasks');
    },
  };
}
