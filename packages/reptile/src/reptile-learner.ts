/**
 * The Reptile learner: an outer rule that moves the meta-parameters toward the weights a plain
 * inner loop reaches on each task. A thin shell over the pure functions {@link innerLoop},
 * {@link reptileUpdate}, {@link reptilePredict} and core's optimizers and validation.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  validateLearnerParts,
  MetaLearnError, adam, assignSnapshot, checkCheckpointTensors, checkMetaGradientParts, checkSnapshot, constantSchedule, createRng, deriveSeed,
  disposeParams, initModel, meanMetaGradient, paramNames, partsMetrics, readParamArrays, resolveMetaGradientCall, serialiseTensor, sgd, splitStepMethods,
  takeSnapshot, taskLoss, validateEpisode, validateLabelledSet, validateTaskSpec,
  type Adaptation, type Backbone, type Episode, type EpisodeScore, type Head, type LabelledSet, type Learner, type LearnerState,
  type LrSchedule, type MetaBatch, type MetaGradient, type MetaGradientOptions, type MetaTrainMetrics, type OuterOptimizer, type Params,
  type ParamShapes, type ParamSnapshot, type SerialTensor, type TaskSpec,
} from '@metalearn/core';
import { innerLoop } from './inner-loop.js';
import { resolveReptileOptions, type ReptileOptions, type ResolvedReptileOptions } from './options.js';
import { reptilePredict } from './predictor.js';
import { linearSchedule } from './schedule.js';

/** The learner's registry name. */
export const REPTILE_LEARNER = 'reptile';

/** Everything {@link createReptileLearner} composes: the parts, task and seed, and {@link ReptileOptions}. */
export interface CreateReptileLearnerOptions extends ReptileOptions {
  readonly backbone: Backbone;
  readonly head: Head;
  /** The task family: kind and ways (classification: N classes; regression: output size). */
  readonly task: TaskSpec;
  /** Integer seed of the initialisation and of every mini-batch draw. */
  readonly seed: number;
}

/**
 * Composes a backbone and a head into a Reptile meta-learner.
 *
 * Meta-parameters `theta = initModel(backbone, head, deriveSeed(seed, 'model'), ways)` (names
 * `backbone/...`, `head/...`), held as `tf.Variable`s. One meta-training step at meta-step `t`
 * over a meta-batch `{T_i}_{i=1..n}`:
 * 1. per task, `phi_i = innerLoop(theta, D_i)`: `innerSteps` iterations of SGD or Adam (moments
 *    reset per task) with `innerLr` on mini-batches of `innerBatchSize` examples of
 *    `D_i = support ∪ query` (or the support set only, `innerSet`); no gradient tape is kept;
 * 2. `theta <- theta + epsilon_t ((1/n) Σ_i phi_i - theta)`, `epsilon_t` = `outerLr`, or annealed
 *    linearly to `finalOuterLr` over `totalSteps`.
 * The step is split in two (`metaTrainStep(tasks) = applyMetaGradient([metaGradient(tasks)])`):
 * `metaGradient` returns Reptile's "gradient" `Σ_{i in part} (theta − phi_i)` for any consecutive
 * part of the meta-batch, and `applyMetaGradient(parts)` computes
 * `theta <- theta − epsilon_t (1/n) Σ_k parts[k].sums` (the same update), so a meta-batch split
 * across worker threads gives the serial step up to float32 rounding of the sums.
 * Reported `loss` (and `accuracy`) is the mean over tasks of the query loss of `phi_i` with the
 * query set as one batch (with `innerSet: 'support+query'` the inner loop trained on it).
 * Mini-batches of task `i` at meta-step `t` are drawn from `deriveSeed(seed, 'reptile', 'train', t, i)`,
 * so a run is a pure function of its seed, and a checkpoint (which carries the seed and step)
 * continues bitwise.
 *
 * Adaptation (`adapt`, `evaluate`): `phi = innerLoop(theta, support)` with `evalInnerSteps` and
 * `evalInnerBatchSize` (mini-batches from `deriveSeed(seed, 'reptile', 'adapt', t)`); queries are
 * predicted by {@link reptilePredict}, transductively or one query example at a time with the
 * support set (`transductive`).
 *
 * Reptile runs its own inner loop (plain training, nothing differentiated through it), so it
 * takes no inner solver; the `'reptile'` plugin accepts the `'gradient'` solver in a composition
 * (whose place the inner loop takes) and refuses any other.
 *
 * @param options - parts, task, seed and {@link ReptileOptions}.
 * @returns a {@link Learner} named `'reptile'`; dispose it when done.
 * @throws MetaLearnError `invalidArgument` on a bad option or part, naming it.
 * @example
 * const learner = createReptileLearner({ backbone: createConv4({ inputShape: [28, 28, 1] }), head: createLinearHead(),
 *   task: { kind: 'classification', ways: 5 }, seed: 0, outerLr: 1, outerLrSchedule: 'linear', finalOuterLr: 0,
 *   totalSteps: 100000, innerOptimizer: 'adam', innerLr: 1e-3, innerSteps: 5, innerBatchSize: 10,
 *   evalInnerSteps: 50, evalInnerBatchSize: 5 });
 * @see Nichol, Achiam & Schulman 2018, "On First-Order Meta-Learning Algorithms", Algorithms 1-2,
 *   sec. 6 and appendix A (hyperparameters, transduction); openai/supervised-reptile.
 */
export function createReptileLearner(options: CreateReptileLearnerOptions): Learner {
  const fn = 'createReptileLearner';
  if (options === null || typeof options !== 'object') throw new MetaLearnError('invalidArgument', `${fn}: options must be an object`);
  const { backbone, head, task, seed, ...rest } = options;
  validateLearnerParts(fn, { backbone, head, task, seed });
  const o = resolveReptileOptions(Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)), fn);
  const optimizer: OuterOptimizer = o.innerOptimizer === 'sgd' ? sgd() : adam(o.adam);
  const epsilonAt: LrSchedule = o.outerLrSchedule === 'linear'
    ? linearSchedule({ initLr: o.outerLr, finalLr: o.finalOuterLr, totalSteps: o.totalSteps! })
    : constantSchedule(o.outerLr);
  const spec: TaskSpec = { kind: task.kind, ways: task.ways };

  const init = initModel(backbone, head, deriveSeed(seed, 'model'), spec.ways);
  const variables: Record<string, tf.Variable> = {};
  try {
    for (const n of paramNames(init)) {
      if (init[n]!.dtype !== 'float32') throw new MetaLearnError('invalidArgument', `${fn}: meta-parameter '${n}' must be float32, got ${init[n]!.dtype}`);
      variables[n] = tf.variable(init[n]!, true);
    }
  } finally {
    disposeParams(init);
  }
  const names = paramNames(variables);
  const thetaView = (): Params => Object.fromEntries(names.map((n) => [n, variables[n]!]));

  let runSeed = seed;
  let step = 0;
  let disposed = false;
  const alive = (caller: string): void => {
    if (disposed) throw new MetaLearnError('invalidArgument', `${caller}: the learner was disposed`);
  };
  const rngFor = (...path: Array<string | number>) => createRng(deriveSeed(runSeed, 'reptile', ...path));

  /** `phi` adapted to `support` (the evaluation inner loop), in the caller's scope. */
  const adaptPhi = (support: LabelledSet, where: string): Params => {
    checkBatch(o, o.evalInnerBatchSize, support.x.shape[0]!, where, 'evalInnerBatchSize');
    return innerLoop(thetaView(), support, {
      backbone, head, kind: spec.kind, optimizer, innerLr: o.innerLr, steps: o.evalInnerSteps,
      ...(o.evalInnerBatchSize !== undefined && { batchSize: o.evalInnerBatchSize, replacement: o.replacement, rng: rngFor('adapt', step) }),
    });
  };

  const shapes: ParamShapes = new Map(names.map((n) => [n, variables[n]!.shape]));

  /**
   * `Σ_i (theta − phi_i)` over `tasks`, each `phi_i` adapted by the training inner loop (mini-batches
   * of task `firstTask + i` of meta-step `t`), and each task's query scores.
   */
  const computeMetaGradient = (tasks: MetaBatch, options?: MetaGradientOptions): MetaGradient => {
    const { firstTask, caller } = resolveMetaGradientCall(tasks, options, spec, backbone.inputShape);
    const t = step;
    const theta = thetaView();
    const losses: number[] = [];
    const accuracies: number[] = [];
    let sum: Params | undefined;
    try {
      tasks.forEach((episode, i) => {
        const where = `${caller}: tasks[${firstTask + i}]`;
        const merged = o.innerSet === 'support' ? undefined : concatSets(episode.support, episode.query);
        let phi: Params;
        try {
          const set = merged ?? episode.support;
          checkBatch(o, o.innerBatchSize, set.x.shape[0]!, where, 'innerBatchSize');
          phi = innerLoop(theta, set, {
            backbone, head, kind: spec.kind, optimizer, innerLr: o.innerLr, steps: o.innerSteps,
            ...(o.innerBatchSize !== undefined && { batchSize: o.innerBatchSize, replacement: o.replacement, rng: rngFor('train', t, firstTask + i) }),
          });
        } finally {
          if (merged !== undefined) tf.dispose([merged.x, merged.y]);
        }
        try {
          const score = scoreQuery(backbone, head, phi, episode, spec, true, o.innerSteps);
          if (!Number.isFinite(score.loss)) {
            throw new MetaLearnError('nonFinite', `${where}: the adapted query loss is ${score.loss} at meta-step ${t}; the meta-parameters were left unchanged (lower innerLr)`);
          }
          losses.push(score.loss);
          if (score.accuracy !== undefined) accuracies.push(score.accuracy);
          const prev = sum;
          sum = tf.tidy(() => Object.fromEntries(names.map((n) => {
            const d = tf.sub(theta[n]!, phi[n]!);
            return [n, prev === undefined ? d : tf.add(prev[n]!, d)];
          })));
          if (prev !== undefined) disposeParams(prev);
        } finally {
          disposeParams(phi);
        }
      });
      const sums = readParamArrays(sum!, shapes);
      const objective = losses.reduce((a, b) => a + b, 0);
      return spec.kind === 'classification' ? { sums, tasks: tasks.length, objective, losses, accuracies } : { sums, tasks: tasks.length, objective, losses };
    } finally {
      if (sum !== undefined) disposeParams(sum);
    }
  };

  /** `theta <- theta − epsilon_t (1/n) Σ_k parts[k].sums` (= `theta + epsilon_t (mean phi − theta)`); `t <- t + 1`. */
  const applyParts = (parts: readonly MetaGradient[], fn: string): MetaTrainMetrics => {
    const total = checkMetaGradientParts(parts, shapes, spec.kind, fn);
    const epsilon = epsilonAt(step);
    const next = tf.tidy(() => {
      const g = meanMetaGradient(parts, shapes, total);
      return Object.fromEntries(names.map((n) => [n, tf.sub(variables[n]!, tf.mul(g[n]!, epsilon))]));
    });
    for (const n of names) variables[n]!.assign(next[n]!);
    disposeParams(next);
    step += 1;
    return partsMetrics(parts, step, spec.kind);
  };

  const learner: Learner = {
    name: REPTILE_LEARNER,
    ...(o.transductive ? {} : { queryProtocol: 'with-support' as const }),
    get params(): Params {
      alive('params');
      return Object.freeze(thetaView());
    },

    ...splitStepMethods(alive, computeMetaGradient, applyParts),

    exportParams(): ParamSnapshot {
      alive('exportParams');
      return takeSnapshot(variables, step, runSeed);
    },

    importParams(snapshot: ParamSnapshot): void {
      alive('importParams');
      checkSnapshot(snapshot, shapes, 'importParams');
      assignSnapshot(variables, snapshot);
      step = snapshot.step;
      runSeed = snapshot.seed;
    },

    adapt(support: LabelledSet, taskSpec: TaskSpec): Adaptation {
      alive('adapt');
      validateTaskSpec(taskSpec, spec, 'adapt: task');
      validateLabelledSet(support, 'adapt: support', spec, backbone.inputShape);
      const phi = adaptPhi(support, 'adapt: support');
      return {
        predict: (x: tf.Tensor) => reptilePredict(backbone, head, phi, support.x, x, o.transductive, o.evalInnerSteps),
        fastWeights: phi,
      };
    },

    evaluate(episode: Episode): EpisodeScore {
      alive('evaluate');
      validateEpisode(episode, 'evaluate: episode', spec, backbone.inputShape);
      const phi = adaptPhi(episode.support, 'evaluate: episode.support');
      try {
        return scoreQuery(backbone, head, phi, episode, spec, o.transductive, o.evalInnerSteps);
      } finally {
        disposeParams(phi);
      }
    },

    state(): LearnerState {
      alive('state');
      const tensors: Record<string, SerialTensor> = {};
      for (const n of names) tensors[`params/${n}`] = serialiseTensor(variables[n]!);
      return {
        learner: REPTILE_LEARNER,
        step,
        tensors,
        extra: { seed: runSeed, backbone: backbone.name, head: head.name, task: { ...spec }, innerOptimizer: o.innerOptimizer },
      };
    },

    load(state: LearnerState): void {
      alive('load');
      const f = 'load';
      if (state === null || typeof state !== 'object') throw new MetaLearnError('checkpoint', `${f}: state must be a LearnerState object, got ${String(state)}`);
      if (state.learner !== REPTILE_LEARNER) throw new MetaLearnError('checkpoint', `${f}: state.learner must be '${REPTILE_LEARNER}', got ${JSON.stringify(state.learner)}`);
      if (!(Number.isInteger(state.step) && state.step >= 0)) throw new MetaLearnError('checkpoint', `${f}: state.step must be an integer >= 0, got ${String(state.step)}`);
      const savedSeed = state.extra?.['seed'];
      if (!(typeof savedSeed === 'number' && Number.isSafeInteger(savedSeed))) {
        throw new MetaLearnError('checkpoint', `${f}: state.extra.seed must be a safe integer (the seed of the run's mini-batch draws), got ${JSON.stringify(savedSeed)}`);
      }
      checkCheckpointTensors(state, new Map(names.map((n) => [`params/${n}`, variables[n]!.shape])), f);
      for (const n of names) {
        const e = state.tensors[`params/${n}`]!;
        const t = tf.tensor(e.values as number[], e.shape as number[], 'float32');
        variables[n]!.assign(t);
        t.dispose();
      }
      step = state.step;
      runSeed = savedSeed;
    },

    dispose(): void {
      if (disposed) return;
      disposed = true;
      for (const v of Object.values(variables)) v.dispose();
    },
  };
  return learner;
}

/** The support and query sets of one episode as one set (support rows first). */
function concatSets(a: LabelledSet, b: LabelledSet): LabelledSet {
  return { x: tf.concat([a.x, b.x]), y: tf.concat([a.y, b.y]) };
}

/** Query loss (and accuracy) of `phi` on the episode's query set. */
function scoreQuery(backbone: Backbone, head: Head, phi: Params, episode: Episode, spec: TaskSpec, transductive: boolean, innerStep: number): EpisodeScore {
  const values = tf.tidy(() => {
    const pred = reptilePredict(backbone, head, phi, episode.support.x, episode.query.x, transductive, innerStep);
    const loss = taskLoss(spec.kind, pred, episode.query.y);
    if (spec.kind !== 'classification') return tf.reshape(loss, [1]);
    const hits = tf.sum(tf.cast(tf.equal(tf.argMax(pred, 1), episode.query.y), 'float32'));
    return tf.stack([loss, hits]);
  });
  const [loss, hits] = Array.from(values.dataSync());
  values.dispose();
  return spec.kind === 'classification' ? { loss: loss!, accuracy: hits! / episode.query.y.shape[0]! } : { loss: loss! };
}

/** With replacement a mini-batch holds distinct examples, so it cannot exceed the set. */
function checkBatch(o: ResolvedReptileOptions, batchSize: number | undefined, n: number, where: string, option: string): void {
  if (o.replacement && batchSize !== undefined && batchSize > n) {
    throw new MetaLearnError('invalidArgument', `${where}: options.${option} (${batchSize}) must be <= the ${n} examples of the set with replacement: true`);
  }
}
