/**
 * The types of the backprop learner's meta-objective: its arguments and its result (shared by
 * the per-task loop in objective.ts and the task-batched path in task-batch.ts).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from '../backbone.js';
import type { MetaBatch } from '../episode.js';
import type { Head } from '../head.js';
import type { InnerSolver, TaskSpec } from '../inner-solver.js';
import type { Params } from '../params.js';

/** What `metaObjective` (learner/objective.ts) needs: the parts, the current meta-parameters and the meta-batch. */
export interface MetaObjectiveArgs {
  readonly backbone: Backbone;
  readonly head: Head;
  readonly solver: InnerSolver;
  /** theta: `backbone/...` and `head/...` meta-parameters. */
  readonly theta: Params;
  /** The solver's own meta-parameters (names without the `solver/` prefix). */
  readonly solverParams: Params;
  readonly spec: TaskSpec;
  /** 0-based meta-step index (solvers that anneal read it). */
  readonly metaStep: number;
  readonly tasks: MetaBatch;
  /**
   * `'auto'` (default): one task-batched computation (`taskBatchMetaObjective`, learner/task-batch.ts) when the
   * parts support it and the tasks share their shapes, else the per-task loop; `'off'`: the loop.
   */
  readonly vectorise?: 'auto' | 'off';
}

/** The summed meta-objective and per-task scalars, all float32. */
export interface MetaObjective {
  /** `Σ_i objective_i` over the meta-batch (the learner divides by the meta-batch size). Scalar. */
  readonly sum: tf.Scalar;
  /** Final-step query loss per task (scalars, kept: the caller disposes them). */
  readonly finalLosses: readonly tf.Scalar[];
  /** Classification: correct query predictions per task (scalars, kept); empty for regression. */
  readonly hits: readonly tf.Scalar[];
  /** Whether the meta-batch ran as one task-batched computation (true) or task by task. */
  readonly vectorised?: boolean;
}
