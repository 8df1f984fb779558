/**
 * Adam (Kingma & Ba 2015) as a pure optimizer over explicit state.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '../errors.js';
import { mapParams, type Params } from '../params.js';
import { checkUpdateArgs } from './check.js';
import type { OptimizerState, OptimizerUpdate, OuterOptimizer } from './types.js';

/** Hyperparameters of {@link adam}; the defaults are PyTorch's and optax's. */
export interface AdamOptions {
  /** Decay of the first moment, in [0, 1). Default 0.9. */
  readonly beta1?: number;
  /** Decay of the second moment, in [0, 1). Default 0.999. */
  readonly beta2?: number;
  /** Added to `sqrt(v_hat)` in the denominator, > 0. Default 1e-8. */
  readonly epsilon?: number;
}

/**
 * The Adam optimizer.
 *
 * With `t = count + 1` and gradient `g`, per parameter (element-wise):
 * `m_t = beta1 m_{t-1} + (1 - beta1) g`, `v_t = beta2 v_{t-1} + (1 - beta2) g^2`,
 * `m_hat = m_t / (1 - beta1^t)`, `v_hat = v_t / (1 - beta2^t)`,
 * `p_t = p_{t-1} - lr * m_hat / (sqrt(v_hat) + epsilon)`.
 * State slots: `m`, `v` (float32, the shapes of the parameters), starting at zero.
 *
 * @param options - `beta1`, `beta2`, `epsilon`.
 * @returns an {@link OuterOptimizer} named `'adam'`.
 * @throws MetaLearnError `invalidArgument` when a hyperparameter is out of range.
 * @example
 * const opt = adam();
 * let state = opt.init(params);
 * ({ params, state } = opt.update(grads, state, params, 1e-3));
 * @see Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", Algorithm 1.
 */
export function adam(options: AdamOptions = {}): OuterOptimizer {
  const beta1 = options.beta1 ?? 0.9;
  const beta2 = options.beta2 ?? 0.999;
  const epsilon = options.epsilon ?? 1e-8;
  if (!(beta1 >= 0 && beta1 < 1)) throw new MetaLearnError('invalidArgument', `adam: options.beta1 must be in [0, 1), got ${beta1}`);
  if (!(beta2 >= 0 && beta2 < 1)) throw new MetaLearnError('invalidArgument', `adam: options.beta2 must be in [0, 1), got ${beta2}`);
  if (!(epsilon > 0 && Number.isFinite(epsilon))) throw new MetaLearnError('invalidArgument', `adam: options.epsilon must be a finite number > 0, got ${epsilon}`);
  return {
    name: 'adam',
    init(params: Params): OptimizerState {
      return {
        count: 0,
        slots: { m: mapParams(params, (p) => tf.zerosLike(p)), v: mapParams(params, (p) => tf.zerosLike(p)) },
      };
    },
    update(grads: Params, state: OptimizerState, params: Params, lr: number): OptimizerUpdate {
      checkUpdateArgs('adam.update', ['m', 'v'], grads, state, params, lr);
      const t = state.count + 1;
      // Bias corrections in float64, folded into the step size and epsilon:
      // lr * m_hat / (sqrt(v_hat) + eps) = (lr / c1) * m / (sqrt(v) / sqrt(c2) + eps).
      const c1 = 1 - beta1 ** t;
      const sqrtC2 = Math.sqrt(1 - beta2 ** t);
      const m0 = state.slots['m']!;
      const v0 = state.slots['v']!;
      const m: Record<string, tf.Tensor> = {};
      const v: Record<string, tf.Tensor> = {};
      const out: Record<string, tf.Tensor> = {};
      for (const name of Object.keys(params).sort()) {
        const [mi, vi, pi] = tf.tidy(() => {
          const g = grads[name]!;
          const mNew = tf.add(tf.mul(m0[name]!, beta1), tf.mul(g, 1 - beta1));
          const vNew = tf.add(tf.mul(v0[name]!, beta2), tf.mul(tf.square(g), 1 - beta2));
          const denom = tf.add(tf.div(tf.sqrt(vNew), sqrtC2), epsilon);
          const pNew = tf.sub(params[name]!, tf.mul(tf.div(mNew, denom), lr / c1));
          return [mNew, vNew, pNew];
        });
        m[name] = mi!;
        v[name] = vi!;
        out[name] = pi!;
      }
      return { params: out, state: { count: t, slots: { m, v } } };
    },
  };
}
