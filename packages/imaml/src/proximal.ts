/**
 * iMAML's inner problem: the support loss plus a proximal term that keeps the fast weights near
 * the meta-parameters, its optimality condition, and an approximate solver for it that runs off
 * every gradient tape (memory independent of the number of steps).
 */
import * as tf from '@tensorflow/tfjs-core';
import { adam, MetaLearnError, paramNames, sgd, withoutTape, type OuterOptimizer, type Params } from '@metalearn/core';

/** A scalar objective of named parameters, e.g. the support loss `L_support(phi)`. */
export type ParamsLoss = (params: Params) => tf.Scalar;

/** The optimizer of the inner loop. */
export type InnerOptimizerName = 'sgd' | 'momentum' | 'nesterov' | 'adam';

/** How {@link solveProximal} minimises the proximal objective. */
export interface ProximalSolveOptions {
  /** `λ > 0`, the strength of the proximal term. */
  readonly lambda: number;
  /** Number of optimizer steps `k >= 0`. */
  readonly steps: number;
  /** Step size (learning rate) `> 0`. */
  readonly lr: number;
  /** Default `'sgd'` (plain gradient descent, as iMAML-GD). */
  readonly optimizer?: InnerOptimizerName;
  /** Momentum coefficient in `(0, 1)` for `'momentum'` and `'nesterov'`; default 0.9. */
  readonly momentum?: number;
}

/**
 * The gradient of the proximal objective, whose zero defines iMAML's inner solution (the
 * optimality condition every inner solver of iMAML approximately satisfies):
 * `F(phi, theta) = ∇L_support(phi) + λ (phi - theta) = 0`, the stationarity condition of
 * `G(phi, theta) = L_support(phi) + (λ/2) ||phi - theta||²`.
 *
 * @param gradSupport - `∇L_support(phi)`, a map with the names of `phi` (missing names: zero).
 * @param phi - the fast weights.
 * @param theta - the meta-parameters (the names of `phi`).
 * @param lambda - `λ > 0`.
 * @returns `F(phi, theta)`, a map with the names and shapes of `phi`; the caller owns it.
 * @throws MetaLearnError `invalidArgument` when `theta` lacks a name of `phi`.
 * @see Rajeswaran, Finn, Kakade & Levine 2019, "Meta-Learning with Implicit Gradients", eq. 4 (the
 *   proximal inner problem) and Lemma 1 (its stationarity condition).
 */
export function proximalOptimality(gradSupport: Params, phi: Params, theta: Params, lambda: number): Params {
  const out: Record<string, tf.Tensor> = {};
  for (const n of paramNames(phi)) {
    const t = theta[n];
    if (t === undefined) throw new MetaLearnError('invalidArgument', `proximalOptimality: theta has no '${n}' (a name of phi)`);
    out[n] = tf.tidy(() => {
      const pull = tf.mul(tf.sub(phi[n]!, t), lambda);
      const g = gradSupport[n];
      return g === undefined ? pull : tf.add(g, pull);
    });
  }
  return out;
}

/**
 * `∇L(params)` for every name of `params` (zeros where `L` does not depend on it), computed on a
 * fresh tape (call it off the outer tapes, see {@link withoutTape}).
 * @param loss - the objective.
 * @param params - the point.
 * @returns the value and one gradient per name.
 */
export function lossAndGradient(loss: ParamsLoss, params: Params): { value: tf.Scalar; grads: Params } {
  const names = paramNames(params);
  const xs = names.map((n) => params[n]!);
  const { value, grads } = tf.engine().gradients(() => loss(params), xs, undefined, true);
  const out: Record<string, tf.Tensor> = {};
  names.forEach((n, i) => (out[n] = grads[i] ?? tf.zerosLike(xs[i]!)));
  return { value, grads: out };
}

function innerOptimizer(options: ProximalSolveOptions, fn: string): OuterOptimizer {
  const name = options.optimizer ?? 'sgd';
  const momentum = options.momentum ?? 0.9;
  if ((name === 'momentum' || name === 'nesterov') && !(momentum > 0 && momentum < 1)) {
    throw new MetaLearnError('invalidArgument', `${fn}: options.momentum must be in (0, 1), got ${String(options.momentum)}`);
  }
  switch (name) {
    case 'sgd': return sgd();
    case 'momentum': return sgd({ momentum });
    case 'nesterov': return sgd({ momentum, nesterov: true });
    case 'adam': return adam();
    default: throw new MetaLearnError('invalidArgument', `${fn}: options.optimizer must be 'sgd', 'momentum', 'nesterov' or 'adam', got ${JSON.stringify(name)}`);
  }
}

/**
 * Approximately solves iMAML's inner problem from `phi_0 = theta`, off every gradient tape:
 * `phi* = argmin_phi G(phi) = L_support(phi) + (λ/2) ||phi - theta||²`, by `k` steps of an
 * optimizer on `∇G(phi) = ∇L_support(phi) + λ (phi - theta)` (the optimality residual
 * {@link proximalOptimality}). With `'sgd'`: `phi_{j+1} = phi_j - lr ∇G(phi_j)`; `'momentum'`,
 * `'nesterov'` and `'adam'` use core's optimizers (`sgd({ momentum, nesterov })`, `adam()`).
 *
 * The loop runs inside {@link withoutTape}: nothing is recorded on an enclosing tape, each step's
 * tensors are freed before the next, so memory does not grow with `k`; the result is a constant
 * for outer gradients (iMAML's meta-gradient comes from the implicit function theorem instead,
 * see `implicitFastWeights`). For a `μ`-strongly convex, `L`-smooth `G` (here `μ >= λ + min eig H`)
 * and `lr <= 1/L`, gradient descent contracts the error by `1 - lr μ` per step.
 *
 * @param loss - `L_support(phi)`, a scalar function of named parameters.
 * @param theta - the meta-parameters (start and proximal centre); not modified, not disposed.
 * @param options - `lambda`, `steps`, `lr`, `optimizer`, `momentum`.
 * @returns `phi_k`, new float32 tensors with the names and shapes of `theta`; the caller owns them.
 * @throws MetaLearnError `invalidArgument` on a bad option; whatever `loss` throws.
 * @example
 * const phiStar = solveProximal((phi) => supportLoss(phi), theta, { lambda: 2, steps: 5, lr: 0.1 });
 * @see Rajeswaran, Finn, Kakade & Levine 2019, "Meta-Learning with Implicit Gradients", eq. 4 and
 *   sec. 3.2 (iMAML-GD: a few gradient steps from theta; Nesterov's method as an alternative).
 */
export function solveProximal(loss: ParamsLoss, theta: Params, options: ProximalSolveOptions): Params {
  const fn = 'solveProximal';
  const { lambda, steps, lr } = options;
  if (!(Number.isFinite(lambda) && lambda > 0)) throw new MetaLearnError('invalidArgument', `${fn}: options.lambda must be a finite number > 0, got ${String(lambda)}`);
  if (!(Number.isInteger(steps) && steps >= 0)) throw new MetaLearnError('invalidArgument', `${fn}: options.steps must be an integer >= 0, got ${String(steps)}`);
  if (!(Number.isFinite(lr) && lr > 0)) throw new MetaLearnError('invalidArgument', `${fn}: options.lr must be a finite number > 0, got ${String(lr)}`);
  const optimizer = innerOptimizer(options, fn);
  const names = paramNames(theta);
  if (names.length === 0) throw new MetaLearnError('invalidArgument', `${fn}: theta has no parameter`);
  return withoutTape(() => {
    const centre: Params = theta;
    let phi: Params = Object.fromEntries(names.map((n) => [n, tf.clone(theta[n]!)]));
    let state = optimizer.init(phi);
    try {
      for (let j = 0; j < steps; j++) {
        const next = tf.tidy(() => {
          const { grads } = lossAndGradient(loss, phi);
          const g = proximalOptimality(grads, phi, centre, lambda);
          return optimizer.update(g, state, phi, lr) as unknown as tf.TensorContainer;
        }) as unknown as ReturnType<OuterOptimizer['update']>;
        for (const t of Object.values(phi)) t.dispose();
        for (const slot of Object.values(state.slots)) for (const t of Object.values(slot)) t.dispose();
        phi = next.params;
        state = next.state;
      }
      return phi;
    } finally {
      for (const slot of Object.values(state.slots)) for (const t of Object.values(slot)) t.dispose();
    }
  });
}
