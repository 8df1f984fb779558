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
 * A meta-learner: a backbone, a head and an inner solver plus an outer update rule.
 *
 * - `metaTrainStep(tasks)`: one outer step over a meta-batch; updates the meta-parameters.
 * - `adapt(support, task)`: the inner loop for one task; returns a predictor (dispose its
 *   tensors: call inside `tf.tidy`).
 * - `evaluate(episode)`: adapt on the support set, score the query set; leaks no tensor.
 * - `state()` / `load(state)`: checkpoints (including optimizer moments).
 */
export interface Learner {
  readonly name: string;
  /** The current meta-parameters (model and solver), read-only views. */
  readonly params: Params;
  metaTrainStep(tasks: MetaBatch): MetaTrainMetrics;
  adapt(support: LabelledSet, task: TaskSpec): Adaptation;
  evaluate(episode: Episode): EpisodeScore;
  state(): LearnerState;
  /** @throws MetaLearnError `checkpoint` when the state does not match this learner. */
  load(state: LearnerState): void;
  /** Releases every tensor the learner holds. */
  dispose(): void;
}
