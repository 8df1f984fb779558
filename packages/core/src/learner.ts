/**
 * The Learner interface: the outer loop over tasks.
 */
import type { Episode, LabelledSet, MetaBatch } from './episode.js';
import type { Adaptation, TaskSpec } from './inner-solver.js';
import type { Params } from './params.js';

/** Scalars reported by one meta-training step (means over the meta-batch, query set). */
export interface MetaTrainMetrics {
  /** Mean query loss (cross-entropy in nats, or MSE). */
  readonly loss: number;
  /** Mean query accuracy in [0, 1] (classification only). */
  readonly accuracy?: number;
  /** Meta-training step index after this step (1-based count of steps taken). */
  readonly step: number;
}

/** Query-set scores of one adapted episode. */
export interface EpisodeScore {
  readonly loss: number;
  /** Classification only, in [0, 1]. */
  readonly accuracy?: number;
}

/** A serialisable snapshot of a learner: every tensor as plain numbers, plus counters. */
export interface LearnerState {
  readonly learner: string;
  readonly step: number;
  readonly tensors: Readonly<Record<string, { readonly shape: readonly number[]; readonly values: readonly number[] }>>;
  readonly extra?: Readonly<Record<string, unknown>>;
}

/**
 * One part of a meta-gradient: the contribution of some consecutive tasks of a meta-batch, as
 * plain numbers (no tensor), so that it can cross a worker-thread boundary (every `Float32Array`
 * owns its whole buffer: transfer them). A meta-batch split across workers gives one part per
 * chunk of tasks; {@link Learner.applyMetaGradient} sums the parts.
 */
export interface MetaGradient {
  /**
   * Per meta-parameter name (every name of {@link Learner.params}), float32 row-major values of
   * the parameter's shape: `Σ_{i in part} g_i`, the SUM over the part's tasks of each task's
   * contribution `g_i` (backprop: `∇ objective_i`; Reptile: `theta − phi_i`).
   */
  readonly sums: Readonly<Record<string, Float32Array>>;
  /** Number of tasks summed, an integer >= 1. */
  readonly tasks: number;
  /** `Σ_{i in part} objective_i` (what was differentiated; Reptile: the query losses), finite. */
  readonly objective: number;
  /** Final query loss of each task of the part, in task order (length `tasks`). */
  readonly losses: readonly number[];
  /** Classification: query accuracy in [0, 1] of each task, in task order (length `tasks`). */
  readonly accuracies?: readonly number[];
}

/** Options of {@link Learner.metaGradient}. */
export interface MetaGradientOptions {
  /**
   * Index of `tasks[0]` in the whole meta-batch (default 0): error messages name `tasks[firstTask + i]`,
   * and a learner whose tasks draw random numbers (Reptile's mini-batches) draws for task
   * `firstTask + i`, so that a split meta-batch gives the serial result.
   */
  readonly firstTask?: number;
  /** The function named in error messages (default `'metaGradient'`). */
  readonly caller?: string;
}

/**
 * The point at which a learner computes meta-gradients: its meta-parameter values, meta-step
 * and run seed, as plain numbers. {@link Learner.exportParams} / {@link Learner.importParams} ship
 * it to a copy of the learner in a worker thread every meta-step; the outer optimizer's state is
 * not part of it (only the learner applying the update needs that).
 */
export interface ParamSnapshot {
  /** Meta-step index (0-based count of meta-updates applied). */
  readonly step: number;
  /** Seed of the run's random draws (a checkpoint may carry another than the creation seed). */
  readonly seed: number;
  /** Per name of {@link Learner.params}, float32 row-major values. */
  readonly values: Readonly<Record<string, Float32Array>>;
}

/**
 * A meta-learner: a backbone, a head and an inner solver plus an outer update rule.
 *
 * - `metaTrainStep(tasks)`: one outer step over a meta-batch; updates the meta-parameters.
 *   It is `applyMetaGradient([metaGradient(tasks)])`.
 * - `metaGradient(tasks)` / `applyMetaGradient(parts)`: the two halves of a meta-step, so that the
 *   tasks of a meta-batch can be split across worker threads (each with a copy of the learner at
 *   the same point: `exportParams()` / `importParams()`) and the parts summed.
 * - `adapt(support, task)`: the inner loop for one task; returns a predictor (dispose its
 *   tensors: call inside `tf.tidy`).
 * - `evaluate(episode)`: adapt on the support set, score the query set; leaks no tensor.
 * - `state()` / `load(state)`: checkpoints (including optimizer moments).
 */
export interface Learner {
  readonly name: string;
  /**
   * How the outer rule predicts a batch of query examples, when it fixes that itself:
   * `'with-support'` — each example in one batch with the support set, so that no query example
   * influences another's prediction (Reptile's non-transductive protocol, Nichol et al. 2018).
   * Undefined: the batch as given (batch norm sees the whole batch: transductive).
   */
  readonly queryProtocol?: 'with-support';
  /** The current meta-parameters (model and solver), read-only views. */
  readonly params: Params;
  /**
   * One meta-training step: `applyMetaGradient([metaGradient(tasks)])`.
   * @throws MetaLearnError as {@link Learner.metaGradient} and {@link Learner.applyMetaGradient}
   *   (named `metaTrainStep`); the meta-parameters are then unchanged.
   */
  metaTrainStep(tasks: MetaBatch): MetaTrainMetrics;
  /**
   * The meta-gradient contribution of `tasks` at the current meta-parameters and meta-step,
   * summed over the tasks (not averaged: the caller may hold only part of the meta-batch).
   * Changes nothing in the learner; leaks no tensor.
   * @param tasks - consecutive tasks `firstTask ..` of a meta-batch, non-empty.
   * @param options - {@link MetaGradientOptions}.
   * @returns a {@link MetaGradient} of `tasks.length` tasks.
   * @throws MetaLearnError `invalidArgument`/`shapeMismatch` naming `tasks[firstTask + i]...`;
   *   `nonFinite` when the objective of a task is not finite (naming it).
   */
  metaGradient(tasks: MetaBatch, options?: MetaGradientOptions): MetaGradient;
  /**
   * Completes a meta-step from the parts of a meta-batch's meta-gradient: sums them in the given
   * order, divides by the total number of tasks `B`, `g = (1/B) Σ_k parts[k].sums`, then applies
   * the learner's outer rule (clipping, optimizer, schedule) and advances the step.
   * @param parts - the parts, in task order (their metrics are reported in that order).
   * @returns the mean query loss (and accuracy) over the `B` tasks and the new step count.
   * @throws MetaLearnError `invalidArgument` naming a part whose names, sizes or counts are wrong;
   *   `nonFinite` for a non-finite objective. Nothing changes when it throws.
   */
  applyMetaGradient(parts: readonly MetaGradient[]): MetaTrainMetrics;
  /** The current meta-parameter values, meta-step and seed, as new arrays (cheap: no optimizer state). */
  exportParams(): ParamSnapshot;
  /**
   * Sets the meta-parameters, meta-step and seed from a snapshot of a learner of the same
   * composition (the optimizer state is left as it is).
   * @throws MetaLearnError `invalidArgument` naming a missing, unexpected or mis-sized parameter.
   */
  importParams(snapshot: ParamSnapshot): void;
  adapt(support: LabelledSet, task: TaskSpec): Adaptation;
  evaluate(episode: Episode): EpisodeScore;
  state(): LearnerState;
  /** @throws MetaLearnError `checkpoint` when the state does not match this learner. */
  load(state: LearnerState): void;
  /** Releases every tensor the learner holds. */
  dispose(): void;
}
