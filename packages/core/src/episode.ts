/**
 * Tasks (episodes): a support set to adapt on and a query set to evaluate the adapted model on.
 * Names follow the field (support/query, ways/shots); never train/test inside an episode.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** The kind of prediction problem a task poses. */
export type TaskKind = 'classification' | 'regression';

/**
 * A labelled set of examples.
 * - `x`: float32 `[N, ...inputShape]` (images `[N, H, W, C]`, vectors `[N, D]`).
 * - `y`: classification: int32 `[N]` with values in `[0, ways)`;
 *        regression: float32 `[N, outDim]`.
 */
export interface LabelledSet {
  readonly x: tf.Tensor;
  readonly y: tf.Tensor;
}

/**
 * One task: N-way K-shot classification, or a K-shot regression task.
 * - `support`: `N_s = ways * shots` examples (regression: `shots` points);
 * - `query`: `N_q = ways * queryShots` examples (regression: `queryShots` points).
 * For regression, `ways` is the output dimension (1 for the sinusoid).
 */
export interface Episode {
  readonly kind: TaskKind;
  readonly ways: number;
  readonly shots: number;
  readonly queryShots: number;
  readonly support: LabelledSet;
  readonly query: LabelledSet;
}

/** The tasks of one meta-training step (the meta-batch). */
export type MetaBatch = readonly Episode[];

/** Disposes the tensors of an episode. */
export function disposeEpisode(e: Episode): void {
  e.support.x.dispose();
  e.support.y.dispose();
  e.query.x.dispose();
  e.query.y.dispose();
}

/**
 * A deterministic source of episodes with a fixed shape: what the harness draws meta-batches and
 * test episodes from. Episode `index` is a pure function of the source's seed and `index`, so the
 * 600 test episodes of a fixed seed are the same for every learner compared.
 */
export interface EpisodeSource {
  /** For messages and results, e.g. `'omniglot/test'`. */
  readonly name: string;
  readonly kind: TaskKind;
  /** Shape of one input example, e.g. `[28, 28, 1]` or `[1]`. */
  readonly inputShape: readonly number[];
  readonly ways: number;
  readonly shots: number;
  readonly queryShots: number;
  /** For finite sources (the 20 one-shot runs), the number of episodes; absent when unbounded. */
  readonly size?: number;
  /** Episode `index` (deterministic); the caller disposes it. */
  episode(index: number): Episode;
  /** Episodes `batchIndex * metaBatchSize + j`, `j < metaBatchSize`; the caller disposes them. */
  metaBatch(batchIndex: number, metaBatchSize: number): Episode[];
}
