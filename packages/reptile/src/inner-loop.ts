/**
 * Reptile's inner loop: plain training of a copy of the model on one task, by SGD or Adam on
 * mini-batches. Nothing is differentiated through it.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  MetaLearnError, applyModel, disposeParams, mapParams, paramNames, taskLoss,
  type Backbone, type Head, type LabelledSet, type OuterOptimizer, type Params, type Rng, type TaskKind,
} from '@metalearn/core';
import { miniBatchIndices } from './minibatches.js';

/** What {@link innerLoop} runs. */
export interface InnerLoopSpec {
  readonly backbone: Backbone;
  readonly head: Head;
  readonly kind: TaskKind;
  /** The optimizer (core's pure `sgd()` or `adam()`); its state starts from `init` for this task. */
  readonly optimizer: OuterOptimizer;
  /** Step size of every inner iteration, finite and > 0. */
  readonly innerLr: number;
  /** `k`: inner iterations, an integer >= 0. */
  readonly steps: number;
  /** Examples per iteration; `undefined`: every example (full batch, in the set's order). */
  readonly batchSize?: number;
  /** Draw every mini-batch independently (see {@link miniBatchIndices}). */
  readonly replacement?: boolean;
  /** Random source of the mini-batches (needed when `batchSize` is given). */
  readonly rng?: Rng;
}

/**
 * Trains a copy of `theta` on one task: `phi_0 = theta`, and for `j = 0..k-1`, with mini-batch
 * `B_j` (see {@link miniBatchIndices}) and `g_j = ∇_phi L(f_{phi_j}(x_{B_j}), y_{B_j})` (core's
 * `taskLoss`: cross-entropy or MSE, batch norm in training mode, `ctx.innerStep = j`),
 * `(phi_{j+1}, s_{j+1}) = optimizer.update(g_j, s_j, phi_j, innerLr)` from `s_0 = optimizer.init(theta)`
 * (SGD: `phi_{j+1} = phi_j - innerLr g_j`; Adam's moments start at zero for every task).
 * No gradient flows through the loop (Reptile needs none): each step's tensors are released as
 * soon as the next parameters exist, so memory does not grow with `k`.
 *
 * @param theta - the starting parameters (names `backbone/...`, `head/...`); not changed.
 * @param set - `x`: float32 `[N, ...inputShape]`; `y`: int32 `[N]` or float32 `[N, outDim]`.
 * @param spec - parts, task kind, optimizer, step size, iterations, mini-batches.
 * @returns `phi_k`: new tensors with the names and shapes of `theta` (the caller disposes them).
 * @throws MetaLearnError `invalidArgument` on bad sizes or a missing `rng`; `shapeMismatch` when
 *   `set.x` and `set.y` disagree.
 * @example
 * const phi = innerLoop(theta, support, { backbone, head, kind: 'regression', optimizer: sgd(), innerLr: 0.02, steps: 5, batchSize: 10, rng });
 * @see Nichol, Achiam & Schulman 2018, "On First-Order Meta-Learning Algorithms", Algorithm 1
 *   (`W_i = SGD(L_tau, theta, k)`) and Algorithm 2.
 */
export function innerLoop(theta: Params, set: LabelledSet, spec: InnerLoopSpec): Params {
  const fn = 'innerLoop';
  const n = set.x.shape[0]!;
  if (!(Number.isInteger(spec.steps) && spec.steps >= 0)) throw new MetaLearnError('invalidArgument', `${fn}: spec.steps must be an integer >= 0, got ${spec.steps}`);
  if (!(Number.isFinite(spec.innerLr) && spec.innerLr > 0)) throw new MetaLearnError('invalidArgument', `${fn}: spec.innerLr must be a finite number > 0, got ${spec.innerLr}`);
  if (set.y.shape[0] !== n || n < 1) {
    throw new MetaLearnError('shapeMismatch', `${fn}: set.x [${set.x.shape.join(', ')}] and set.y [${set.y.shape.join(', ')}] must have the same number N >= 1 of examples`);
  }
  let batches: number[][] | undefined;
  if (spec.batchSize !== undefined) {
    if (spec.rng === undefined) throw new MetaLearnError('invalidArgument', `${fn}: spec.rng is required with spec.batchSize (mini-batches are drawn at random)`);
    batches = miniBatchIndices(n, spec.batchSize, spec.steps, spec.replacement ?? false, spec.rng);
  }
  const names = paramNames(theta);
  let phi: Params = mapParams(theta, (t) => tf.clone(t));
  let state = spec.optimizer.init(phi);
  try {
    for (let j = 0; j < spec.steps; j++) {
      const batch = batches?.[j];
      const next = tf.tidy(() => {
        const idx = batch === undefined ? undefined : tf.tensor1d(batch, 'int32');
        const x = idx === undefined ? set.x : tf.gather(set.x, idx);
        const y = idx === undefined ? set.y : tf.gather(set.y, idx);
        const current = phi;
        const { value, grads } = tf.engine().gradients(
          () => taskLoss(spec.kind, applyModel(spec.backbone, spec.head, current, x, { training: true, innerStep: j }), y),
          names.map((name) => current[name]!),
          undefined,
          true,
        );
        value.dispose();
        const g: Params = Object.fromEntries(names.map((name, i) => [name, grads[i] ?? tf.zerosLike(current[name]!)]));
        return spec.optimizer.update(g, state, current, spec.innerLr) as unknown as tf.TensorContainer;
      }) as unknown as ReturnType<OuterOptimizer['update']>;
      disposeParams(phi);
      disposeState(state);
      phi = next.params;
      state = next.state;
    }
  } catch (e) {
    disposeParams(phi);
    disposeState(state);
    throw e;
  }
  disposeState(state);
  return phi;
}

function disposeState(state: ReturnType<OuterOptimizer['init']>): void {
  for (const slot of Object.values(state.slots)) disposeParams(slot);
}
