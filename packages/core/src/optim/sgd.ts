/**
 * Stochastic gradient descent, optionally with (Nesterov) momentum, as a pure optimizer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '../errors.js';
import { mapParams, type Params } from '../params.js';
import { checkUpdateArgs } from './check.js';
import type { OptimizerState, OptimizerUpdate, OuterOptimizer } from './types.js';

/** Hyperparameters of {@link sgd}. */
export interface SgdOptions {
  /** Momentum coefficient `mu` in [0, 1). Default 0 (plain SGD, no state slot). */
  readonly momentum?: number;
  /** Nesterov momentum (needs `momentum > 0`). Default false. */
  readonly nesterov?: boolean;
}

/**
 * Stochastic gradient descent.
 *
 * Plain (`momentum = 0`): `p_t = p_{t-1} - lr * g`.
 * Momentum `mu` (PyTorch's convention, buffer starting at zero): `b_t = mu b_{t-1} + g`, then
 * `p_t = p_{t-1} - lr * b_t`, or with Nesterov `p_t = p_{t-1} - lr * (g + mu b_t)`.
 * State: slot `momentum` when `momentum > 0`, no slot otherwise.
 *
 * @param options - `momentum`, `nesterov`.
 * @returns an {@link OuterOptimizer} named `'sgd'`.
 * @throws MetaLearnError `invalidArgument` when `momentum` is outside [0, 1) or `nesterov`
 *   is asked without momentum.
 * @example
 * const opt = sgd({ momentum: 0.9 });
 * @see Sutskever et al. 2013, "On the importance of initialization and momentum", eq. 1-4.
 */
export function sgd(options: SgdOptions = {}): OuterOptimizer {
  const mu = options.momentum ?? 0;
  const nesterov = options.nesterov ?? false;
  if (!(mu >= 0 && mu < 1)) throw new MetaLearnError('invalidArgument', `sgd: options.momentum must be in [0, 1), got ${mu}`);
  if (nesterov && mu === 0) throw new MetaLearnError('invalidArgument', 'sgd: options.nesterov needs options.momentum > 0');
  const slotNames = mu > 0 ? ['momentum'] : [];
  return {
    name: 'sgd',
    init(params: Params): OptimizerState {
      return { count: 0, slots: mu > 0 ? { momentum: mapParams(params, (p) => tf.zerosLike(p)) } : {} };
    },
    update(grads: Params, state: OptimizerState, params: Params, lr: number): OptimizerUpdate {
      checkUpdateArgs('sgd.update', slotNames, grads, state, params, lr);
      const out: Record<string, tf.Tensor> = {};
      const buf: Record<string, tf.Tensor> = {};
      for (const name of Object.keys(params).sort()) {
        const g = grads[name]!;
        if (mu === 0) {
          out[name] = tf.tidy(() => tf.sub(params[name]!, tf.mul(g, lr)));
          continue;
        }
        const [b, p] = tf.tidy(() => {
          const bNew = tf.add(tf.mul(state.slots['momentum']![name]!, mu), g);
          const dir = nesterov ? tf.add(g, tf.mul(bNew, mu)) : bNew;
          return [bNew, tf.sub(params[name]!, tf.mul(dir, lr))];
        });
        buf[name] = b!;
        out[name] = p!;
      }
      return { params: out, state: { count: state.count + 1, slots: mu > 0 ? { momentum: buf } : {} } };
    },
  };
}
