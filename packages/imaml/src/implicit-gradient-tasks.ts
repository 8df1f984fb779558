/**
 * The task-batched implicit fast weights: `T` tasks' inner solutions `[T, ...shape]`, whose
 * backward pass is every task's implicit meta-gradient from one batched conjugate-gradient solve,
 * summed into `theta`'s gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError, paramNames, withoutTape, type Params } from '@metalearn/core';
import { flatLayout, flattenTaskParams, unflattenParams, unflattenTaskParams, type FlatLayout } from './flat-params.js';
import { checkImplicitGradientOptions, type ImplicitGradientOptions } from './implicit-gradient-options.js';
import { solveImplicitTasks } from './implicit-solve.js';

/**
 * `Σ_t L_t(phi_t)` of per-task parameters `phi` (`[T, ...shape]` each), reading the tensors
 * `data` (e.g. the stacked support set) from its argument, not from a closure: the backward pass
 * runs after the caller's forward scope has freed its intermediates, so the data it needs is
 * saved with the op and handed back.
 */
export type TaskSupportLoss = (phi: Params, data: readonly tf.Tensor[]) => tf.Scalar;

/** Options of {@link implicitTaskFastWeights}: those of `implicitFastWeights` but `onCgStop` (one report per solve). */
export type ImplicitTaskGradientOptions = Omit<ImplicitGradientOptions, 'onCgStop'>;

/**
 * Per-task fast weights `phi[n] = phiStar[n]` (`[T, ...shape]`), differentiable with respect to the
 * shared `theta` through the implicit function theorem of every task, in one computation.
 *
 * Contract: row `t` of `phiStar` approximately minimises `L_t(phi) + (λ/2)||phi - theta||²`, and
 * `supportLoss(phi) = Σ_t L_t(phi_t)` on per-task parameters (so `∂²/∂phi_s∂phi_t = 0` for `s ≠ t`).
 * For a downstream loss `Σ_t L_query,t(phi_t)` the backward pass gives
 * `dL/dtheta = Σ_t (I + H_t/λ)⁻¹ ∇_phi L_query,t(phi*_t)`, `H_t = ∇²L_t(phi*_t)`: the sum over
 * tasks of what {@link implicitFastWeights} gives each task alone (theta is shared, so its
 * gradient sums over the tasks). The `T` systems `(I + H_t/λ) g_t = dy_t` (damped with
 * `cgDamping`, `lambdaDamping`: `((1 + μ) I + H_t/(λ + δ)) g_t = dy_t`) are solved together by
 * {@link solveImplicitTasks}: `cgSteps` iterations, each one batched HVP of `Σ_t L_t` (exact or
 * finite-difference, per-task probe) and per-task CG scalars `[T, 1]` on the device — no host read.
 *
 * Mechanism: as `implicitFastWeights`, one `tf.customGrad` op over `theta`'s tensors whose forward
 * returns the rows `vec(phiStar_t)` (`[T, P]`, names sorted) and whose gradient runs the solve off
 * every tape and sums `g` over tasks; `phi` is that matrix split back into `[T, ...shape]`
 * tensors. The meta-gradient is a constant for higher-order gradients.
 *
 * @param theta - the shared meta-parameters (on the caller's tape), float32 `shape` each.
 * @param phiStar - per-task inner solutions, the names of `theta`, each `[T, ...shape]` (a
 *   constant, e.g. `solveProximal` on `theta` tiled over tasks); not disposed.
 * @param supportLoss - `(phi, data) ↦ Σ_t L_t(phi_t)` of per-task parameters (e.g. core's
 *   `taskBatchLosses` summed over tasks), reading the support set from `data`.
 * @param data - the tensors `supportLoss` reads (e.g. `[support.x, support.y]` stacked `[T, ...]`);
 *   saved with the op (cloned, freed after the backward pass), so the caller may free them after
 *   the forward pass.
 * @param tasks - `T >= 1`.
 * @param options - `lambda`, `cgSteps`, `cgDamping`, `lambdaDamping`, `cgTol`, `hvp`, `fdStep`, `fdScheme`.
 * @returns `phi`, per-task tensors `[T, ...shape]` with the values of `phiStar`; the caller owns them.
 * @throws MetaLearnError `invalidArgument` on an option out of range (or an `onCgStop`) or a bad
 *   `tasks`; `shapeMismatch` when `phiStar` does not have `theta`'s names with shapes `[T, ...shape]`.
 * @example
 * const phiStar = solveProximal(loss, tiledTheta, { lambda: 2, steps: 5, lr: 0.1 }); // [T, ...] each
 * const phi = implicitTaskFastWeights(theta, phiStar, (p, [x, y]) => loss(p, x, y), [support.x, support.y], T, { lambda: 2, cgSteps: 5 });
 * @see Rajeswaran, Finn, Kakade & Levine 2019, "Meta-Learning with Implicit Gradients", Lemma 1,
 *   eq. 6 and Algorithm 2 (the meta-gradient averaged over the tasks of a meta-batch).
 */
export function implicitTaskFastWeights(
  theta: Params, phiStar: Params, supportLoss: TaskSupportLoss, data: readonly tf.Tensor[], tasks: number, options: ImplicitTaskGradientOptions,
): Params {
  const fn = 'implicitTaskFastWeights';
  checkImplicitGradientOptions(options, fn);
  if ((options as ImplicitGradientOptions).onCgStop !== undefined) {
    throw new MetaLearnError('invalidArgument', `${fn}: options.onCgStop is not supported (one CG solve for all tasks; use implicitFastWeights per task for reports)`);
  }
  if (!(Number.isInteger(tasks) && tasks >= 1)) throw new MetaLearnError('invalidArgument', `${fn}: tasks must be an integer >= 1, got ${String(tasks)}`);
  const names = paramNames(theta);
  if (names.length === 0) throw new MetaLearnError('invalidArgument', `${fn}: theta has no parameter`);
  const phiNames = paramNames(phiStar);
  if (phiNames.length !== names.length || phiNames.some((n, i) => n !== names[i])) {
    throw new MetaLearnError('shapeMismatch', `${fn}: phiStar must have the names of theta (${names.join(', ')}), got (${phiNames.join(', ')})`);
  }
  const layout = flatLayout(theta, names);
  const phiFlat = withoutTape(() => flattenTaskParams(phiStar, layout, tasks));
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    save([phiFlat, ...data]);
    return {
      value: tf.clone(phiFlat),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => taskMetaGradient(dy as tf.Tensor, saved[0]!, (p) => supportLoss(p, saved.slice(1)), layout, options),
    };
  });
  const phi = unflattenTaskParams(op(...names.map((n) => theta[n]!)), layout);
  phiFlat.dispose();
  return phi;
}

/** `Σ_t (I + H_t/λ)⁻¹ dy_t` (or the damped system's solution) as one gradient tensor per name of the layout (the customGrad's backward). */
function taskMetaGradient(dy: tf.Tensor, phiFlat: tf.Tensor, supportLoss: (phi: Params) => tf.Scalar, layout: FlatLayout, o: ImplicitTaskGradientOptions): tf.Tensor[] {
  return withoutTape(() => tf.tidy(() => {
    const loss = (x: tf.Tensor): tf.Scalar => supportLoss(unflattenTaskParams(x, layout));
    const g = solveImplicitTasks(dy, phiFlat, loss, o);
    const pieces = unflattenParams(tf.sum(g, 0), layout);
    return layout.names.map((n) => pieces[n]!);
  }));
}
