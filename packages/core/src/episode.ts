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
