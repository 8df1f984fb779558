/**
 * What one call of the gradient solver does, decided from its options and input alone: which
 * parameters it adapts, how many inner steps, first or second order, which query-loss weights.
 * Shared by the per-task and the task-batched inner loops, so both make the same decisions.
 */
import { MetaLearnError, paramNames, type InnerSolverInput, type Params } from '@metalearn/core';
import { multiStepLossWeights } from './msl.js';
import type { ResolvedGradientSolverOptions } from './options.js';

/** The decisions of one inner loop. */
export interface InnerLoopPlan {
  /** Names of the adapted parameters `A`, sorted. */
  readonly names: readonly string[];
  /** Whether the inner gradients are differentiated (second order). */
  readonly secondOrder: boolean;
  /** `K`: inner steps (`innerSteps` in meta-training, `evalInnerSteps` otherwise). */
  readonly steps: number;
  /** MAML++ multi-step loss weights over steps `1..K`, when they apply at this meta-step. */
  readonly queryLossWeights: number[] | undefined;
}

/**
 * Names of the parameters adapted in the inner loop, sorted: every name of `theta`, or those
 * matching `options.adapt`.
 * @throws MetaLearnError `invalidArgument` when `theta` is empty or the pattern matches nothing.
 */
export function adaptedNames(o: ResolvedGradientSolverOptions, theta: Params, caller: string): string[] {
  const all = paramNames(theta);
  if (all.length === 0) throw new MetaLearnError('invalidArgument', `${caller}: theta has no parameter`);
  const pattern = o.adapt;
  if (pattern === undefined) return all;
  const names = all.filter((n) => pattern.test(n));
  if (names.length === 0) {
    throw new MetaLearnError('invalidArgument', `${caller}: options.adapt ${String(pattern)} matches no parameter of theta (names: ${all.join(', ')})`);
  }
  return names;
}

/**
 * The plan of one inner loop:
 * - second order iff meta-training with `order: 'second'` and `metaStep >= firstOrderUntil`
 *   (derivative-order annealing);
 * - `K = innerSteps` in meta-training, else `evalInnerSteps`;
 * - MSL weights ({@link multiStepLossWeights}) in meta-training while `metaStep < annealSteps`.
 * @param o - the resolved options.
 * @param input - the solver's input (theta, metaTraining, metaStep).
 * @param caller - for messages.
 * @returns the plan.
 * @throws MetaLearnError `invalidArgument` when `options.adapt` matches nothing, or `metaStep` is
 *   missing while annealing or MSL needs it.
 */
export function planInnerLoop(o: ResolvedGradientSolverOptions, input: InnerSolverInput, caller: string): InnerLoopPlan {
  const names = adaptedNames(o, input.theta, caller);
  let secondOrder = input.metaTraining && o.order === 'second';
  if (secondOrder && o.derivativeOrderAnnealing !== undefined) secondOrder = metaStepOf(input, caller) >= o.derivativeOrderAnnealing.firstOrderUntil;
  const steps = input.metaTraining ? o.innerSteps : o.evalInnerSteps;
  let queryLossWeights: number[] | undefined;
  if (input.metaTraining && o.multiStepLoss !== undefined) {
    const step = metaStepOf(input, caller);
    if (step < o.multiStepLoss.annealSteps) queryLossWeights = multiStepLossWeights(steps, o.multiStepLoss.annealSteps, step);
  }
  return { names, secondOrder, steps, queryLossWeights };
}

function metaStepOf(input: InnerSolverInput, caller: string): number {
  const s = input.metaStep;
  if (s === undefined || !(Number.isInteger(s) && s >= 0)) {
    throw new MetaLearnError('invalidArgument', `${caller}: input.metaStep must be an integer >= 0 when derivativeOrderAnnealing or multiStepLoss is set, got ${String(s)}`);
  }
  return s;
}
