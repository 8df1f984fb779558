/**
 * The backprop learner: the outer loop that differentiates the query loss through any inner
 * solver (MAML's outer rule; first-order, closed-form or implicit solvers plug into the same rule
 * because the solver decides what its adaptation is differentiable by).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from '../backbone.js';
import type { Episode, LabelledSet, MetaBatch } from '../episode.js';
import { MetaLearnError } from '../errors.js';
import type { Head } from '../head.js';
import type { Adaptation, InnerSolver, TaskSpec } from '../inner-solver.js';
import type { EpisodeScore, Learner, LearnerState, MetaGradient, MetaGradientOptions, MetaTrainMetrics, ParamSnapshot } from '../learner.js';
import { taskLoss } from '../losses.js';
import { initModel } from '../model.js';
import { disposeParams, mapParams, paramNames, type Params } from '../params.js';
import { deriveSeed } from '../random.js';
import { adam } from '../optim/adam.js';
import { clipByGlobalNorm } from '../optim/clip.js';
import { constantSchedule, cosineSchedule, type LrSchedule } from '../optim/schedule.js';
import { sgd } from '../optim/sgd.js';
import type { OptimizerState, OptimizerUpdate, OuterOptimizer } from '../optim/types.js';
import { checkCheckpointTensors, serialiseTensor, type SerialTensor } from './checkpoint.js';
import { countHits, metaObjective } from './objective.js';
import { taskBatchable } from './task-batch.js';
import { checkMetaGradientParts, meanMetaGradient, partsMetrics, readParamArrays, resolveMetaGradientCall, splitStepMethods, type ParamShapes } from './meta-gradient.js';
import { parseOuterLoopOptions, type OuterLoopOptions } from './options.js';
import { assignSnapshot, checkSnapshot, takeSnapshot } from './param-snapshot.js';
import { checkPart, validateEpisode, validateLabelledSet, validateLearnerParts, validateTaskSpec } from './validate.js';

/** The learner's registry name. */
export const BACKPROP_LEARNER = 'backprop';

/** Prefix of the solver's meta-parameters in {@link Learner.params} and checkpoints. */
const SOLVER_PREFIX = 'solver/';

/** Everything {@link createLearner} composes. */
export interface CreateLearnerOptions extends OuterLoopOptions {
  readonly backbone: Backbone;
  readonly head: Head;
  readonly solver: InnerSolver;
  /** The task family: kind and ways (classification: N classes; regression: output size). */
  readonly task: TaskSpec;
  /** Integer seed of the meta-parameters' initialisation. */
  readonly seed: number;
}

/**
 * Composes a backbone, a head and an inner solver into a meta-learner trained by backpropagation
 * through the solver.
 *
 * Meta-parameters: `theta = initModel(backbone, head, deriveSeed(seed, 'model'), ways)` (names
 * `backbone/...`, `head/...`) and the solver's `solver.initParams(deriveSeed(seed, 'solver'), ...)`
 * (names `solver/...`), held as `tf.Variable`s.
 *
 * One meta-training step over a meta-batch `{T_i}_{i=1..B}` at meta-step `t`:
 * `J = (1/B) Σ_i [ Σ_k w_{i,k} L(f_{phi_{i,k}}(x_i^q), y_i^q) + R_i ]`, where the solver adapts to
 * `T_i`'s support set (`metaTraining: true`, `metaStep: t`), `w` is `queryLossWeights` over
 * `stepPredict` when the adaptation gives them (else the single final-step loss of `predict`) and
 * `R_i` its `regulariser`; then `g = ∇_{theta, solverParams} J` by `tf.variableGrads` (the
 * solver's inner gradients are recorded on the same tape, so a second-order solver yields the
 * exact MAML meta-gradient), optionally `g <- clip(g, gradClip)` by global norm, and
 * `(params, state) <- optimizer.update(g, state, params, lr(t))`.
 * Reported `loss` is the mean final-step query loss (cross-entropy in nats, or MSE), `accuracy`
 * the mean final-step query accuracy (classification).
 * The step is split in two (`metaTrainStep(tasks) = applyMetaGradient([metaGradient(tasks)])`):
 * `metaGradient` returns `Σ_{i in part} ∇ objective_i` for any consecutive part of the meta-batch
 * (one tape per part), and `applyMetaGradient(parts)` sums the parts in order, divides by `B`,
 * clips and applies the optimizer, so a meta-batch split across worker threads gives the serial
 * meta-gradient up to float32 rounding of the sums (exactly the serial one for one part).
 *
 * @param options - the parts, task, seed and outer-loop hyperparameters ({@link OuterLoopOptions}).
 * @returns a {@link Learner} named `'backprop'`; dispose it when done.
 * @throws MetaLearnError `invalidArgument` on a bad option or part, naming it.
 * @example
 * const learner = createLearner({ backbone: createMlp({ inputDim: 1, hiddenSizes: [40, 40] }),
 *   head: createLinearHead(), solver: createGradientSolver({ innerLr: 0.01 }),
 *   task: { kind: 'regression', ways: 1 }, seed: 0, outerLr: 1e-3 });
 * const { loss } = learner.metaTrainStep(tasks); // meta-batch of sinusoid episodes
 * @see Finn, Abbeel & Levine 2017, "Model-Agnostic Meta-Learning", Algorithm 2 (outer update, eq. 4);
 *   Antoniou, Edwards & Storkey 2018, sec. 4 (cosine-annealed meta learning rate).
 */
export function createLearner(options: CreateLearnerOptions): Learner {
  const fn = 'createLearner';
  if (options === null || typeof options !== 'object') throw new MetaLearnError('invalidArgument', `${fn}: options must be an object`);
  const { backbone, head, solver, task, seed, ...rest } = options;
  validateLearnerParts(fn, { backbone, head, task, seed });
  checkPart(solver, 'solver', ['initParams', 'adapt'], fn);
  const outer = parseOuterLoopOptions(Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)), fn);
  const optimizer: OuterOptimizer = outer.optimizer === 'sgd' ? sgd() : adam();
  const schedule: LrSchedule =
    outer.outerLrSchedule === 'cosine'
      ? cosineSchedule({ initLr: outer.outerLr, totalSteps: outer.totalSteps!, minLr: outer.minLr ?? 0 })
      : constantSchedule(outer.outerLr);
  const spec: TaskSpec = { kind: task.kind, ways: task.ways };

  // Meta-parameters as variables: theta (backbone/, head/) and the solver's (solver/).
  const thetaInit = initModel(backbone, head, deriveSeed(seed, 'model'), spec.ways);
  const solverInit = solver.initParams(deriveSeed(seed, 'solver'), thetaInit, spec);
  const variables: Record<string, tf.Variable> = {};
  const adopt = (name: string, t: tf.Tensor): void => {
    if (t.dtype !== 'float32') throw new MetaLearnError('invalidArgument', `${fn}: meta-parameter '${name}' must be float32, got ${t.dtype}`);
    variables[name] = tf.variable(t, true);
  };
  try {
    for (const n of paramNames(thetaInit)) adopt(n, thetaInit[n]!);
    for (const n of paramNames(solverInit)) adopt(`${SOLVER_PREFIX}${n}`, solverInit[n]!);
  } finally {
    disposeParams(thetaInit);
    disposeParams(solverInit);
  }
  const names = paramNames(variables);
  const thetaNames = names.filter((n) => !n.startsWith(SOLVER_PREFIX));
  const solverNames = names.filter((n) => n.startsWith(SOLVER_PREFIX));
  const thetaView = (): Params => Object.fromEntries(thetaNames.map((n) => [n, variables[n]!]));
  const solverView = (): Params => Object.fromEntries(solverNames.map((n) => [n.slice(SOLVER_PREFIX.length), variables[n]!]));
  const paramsView = (): Params => Object.fromEntries(names.map((n) => [n, variables[n]!]));

  let optState: OptimizerState = keepState(optimizer.init(paramsView()));
  let step = 0;
  let disposed = false;
  const alive = (caller: string): void => {
    if (disposed) throw new MetaLearnError('invalidArgument', `${caller}: the learner was disposed`);
  };

  const shapes: ParamShapes = new Map(names.map((n) => [n, variables[n]!.shape]));

  /**
   * `Σ_i ∇ objective_i` over `tasks`, read into arrays. A meta-batch that runs task-batched is one
   * tape; otherwise each task gets a tape of its own (the solver's inner gradients are recorded on
   * it, so a second-order solver gives the exact MAML meta-gradient) and the gradients are summed:
   * the same sum, with one task's graph alive at a time instead of the whole meta-batch's (peak
   * memory of second-order MAML on Conv-4 divided by about the meta-batch size, as PyTorch's
   * per-task `backward()`).
   */
  const computeMetaGradient = (tasks: MetaBatch, options?: MetaGradientOptions): MetaGradient => {
    const { firstTask, caller } = resolveMetaGradientCall(tasks, options, spec, backbone.inputShape);
    const metaStep = step;
    const varList = names.map((n) => variables[n]!);
    const finalLosses: tf.Tensor[] = [];
    const hits: tf.Tensor[] = [];
    const batched = outer.vectorise !== 'off' && taskBatchable({ backbone, head, solver }, tasks);
    const groups: MetaBatch[] = batched ? [tasks] : tasks.map((t) => [t]);
    try {
      let objective = 0;
      let sums: Record<string, Float32Array> = {};
      for (const group of groups) {
        tf.tidy(() => {
          const { value, grads } = unconnectedAsError(() => tf.variableGrads(() => {
            const o = metaObjective({ backbone, head, solver, theta: thetaView(), solverParams: solverView(), spec, metaStep, tasks: group, ...(outer.vectorise !== undefined ? { vectorise: outer.vectorise } : {}) });
            finalLosses.push(...o.finalLosses);
            hits.push(...o.hits);
            return o.sum;
          }, varList), caller, solver.name);
          objective += value.dataSync()[0]!;
          if (!Number.isFinite(objective)) return;
          const part = readParamArrays(Object.fromEntries(names.map((n) => [n, grads[variables[n]!.name]])), shapes);
          if (group === groups[0]) sums = part;
          else {
            for (const n of names) {
              const acc = sums[n]!;
              const add = part[n]!;
              for (let j = 0; j < acc.length; j++) acc[j]! += add[j]!;
            }
          }
        });
        if (!Number.isFinite(objective)) break;
      }
      const losses = readAll(finalLosses);
      if (!Number.isFinite(objective)) {
        const bad = losses.flatMap((l, i) => (Number.isFinite(l) ? [] : [`tasks[${firstTask + i}]`]));
        throw new MetaLearnError('nonFinite', `${caller}: the meta-objective is ${objective} at meta-step ${metaStep}${bad.length ? ` (query loss not finite in ${bad.join(', ')})` : ''}; the meta-parameters were left unchanged (lower outerLr or the inner learning rate, or set gradClip)`);
      }
      if (spec.kind !== 'classification') return { sums, tasks: tasks.length, objective, losses };
      const accuracies = readAll(hits).map((c, i) => c / tasks[i]!.query.y.shape[0]!);
      return { sums, tasks: tasks.length, objective, losses, accuracies };
    } finally {
      for (const t of [...finalLosses, ...hits]) t.dispose();
    }
  };

  /** `g = (1/B) Σ_k parts[k].sums`, clipped, through the outer optimizer at `lr(t)`; `t <- t + 1`. */
  const applyParts = (parts: readonly MetaGradient[], fn: string): MetaTrainMetrics => {
    const total = checkMetaGradientParts(parts, shapes, spec.kind, fn);
    const lr = schedule(step);
    const update = tf.tidy((): tf.TensorContainer => {
      let g: Params = meanMetaGradient(parts, shapes, total);
      if (outer.gradClip !== undefined) g = clipByGlobalNorm(g, outer.gradClip).grads;
      return optimizer.update(g, optState, paramsView(), lr) as unknown as tf.TensorContainer;
    }) as unknown as OptimizerUpdate;
    for (const n of names) variables[n]!.assign(update.params[n]!);
    disposeParams(update.params);
    const old = optState;
    optState = keepState(update.state);
    disposeState(old);
    step += 1;
    return partsMetrics(parts, step, spec.kind);
  };

  const learner: Learner = {
    name: BACKPROP_LEARNER,
    get params(): Params {
      alive('params');
      return Object.freeze(paramsView());
    },

    ...splitStepMethods(alive, computeMetaGradient, applyParts),

    exportParams(): ParamSnapshot {
      alive('exportParams');
      return takeSnapshot(variables, step, seed);
    },

    importParams(snapshot: ParamSnapshot): void {
      alive('importParams');
      checkSnapshot(snapshot, shapes, 'importParams');
      assignSnapshot(variables, snapshot);
      step = snapshot.step;
    },

    adapt(support: LabelledSet, taskSpec: TaskSpec): Adaptation {
      alive('adapt');
      validateTaskSpec(taskSpec, spec, 'adapt: task');
      validateLabelledSet(support, 'adapt: support', spec, backbone.inputShape);
      // Copies, so that every tensor of the adaptation belongs to the caller (never a variable).
      return solver.adapt({
        backbone, head, theta: mapParams(thetaView(), (t) => tf.clone(t)), solverParams: mapParams(solverView(), (t) => tf.clone(t)),
        support, task: spec, metaTraining: false, metaStep: step,
      });
    },

    evaluate(episode: Episode): EpisodeScore {
      alive('evaluate');
      validateEpisode(episode, 'evaluate: episode', spec, backbone.inputShape);
      const scores = tf.tidy(() => {
        const adaptation = solver.adapt({
          backbone, head, theta: thetaView(), solverParams: solverView(), support: episode.support, task: spec, metaTraining: false, metaStep: step,
        });
        const pred = adaptation.predict(episode.query.x);
        const loss = taskLoss(spec.kind, pred, episode.query.y);
        return spec.kind === 'classification' ? tf.stack([loss, countHits(pred, episode.query.y)]) : tf.reshape(loss, [1]);
      });
      const [loss, count] = Array.from(scores.dataSync());
      scores.dispose();
      if (spec.kind !== 'classification') return { loss: loss! };
      return { loss: loss!, accuracy: count! / episode.query.y.shape[0]! };
    },

    state(): LearnerState {
      alive('state');
      const tensors: Record<string, SerialTensor> = {};
      for (const n of names) tensors[`params/${n}`] = serialiseTensor(variables[n]!);
      for (const slot of Object.keys(optState.slots).sort()) {
        const s = optState.slots[slot]!;
        for (const n of paramNames(s)) tensors[`optimizer/${slot}/${n}`] = serialiseTensor(s[n]!);
      }
      return {
        learner: BACKPROP_LEARNER,
        step,
        tensors,
        extra: {
          optimizer: optimizer.name, optimizerCount: optState.count,
          backbone: backbone.name, head: head.name, solver: solver.name, task: { ...spec },
        },
      };
    },

    load(state: LearnerState): void {
      alive('load');
      const f = 'load';
      if (state === null || typeof state !== 'object') throw new MetaLearnError('checkpoint', `${f}: state must be a LearnerState object, got ${String(state)}`);
      if (state.learner !== BACKPROP_LEARNER) throw new MetaLearnError('checkpoint', `${f}: state.learner must be '${BACKPROP_LEARNER}', got ${JSON.stringify(state.learner)}`);
      if (!(Number.isInteger(state.step) && state.step >= 0)) throw new MetaLearnError('checkpoint', `${f}: state.step must be an integer >= 0, got ${String(state.step)}`);
      const extra = state.extra ?? {};
      if (extra['optimizer'] !== optimizer.name) {
        throw new MetaLearnError('checkpoint', `${f}: state.extra.optimizer must be '${optimizer.name}' (this learner's outer optimizer), got ${JSON.stringify(extra['optimizer'])}`);
      }
      const count = extra['optimizerCount'];
      if (!(typeof count === 'number' && Number.isInteger(count) && count >= 0)) {
        throw new MetaLearnError('checkpoint', `${f}: state.extra.optimizerCount must be an integer >= 0, got ${JSON.stringify(count)}`);
      }
      const expected = new Map<string, readonly number[]>();
      for (const n of names) expected.set(`params/${n}`, variables[n]!.shape);
      for (const slot of Object.keys(optState.slots)) {
        for (const n of paramNames(optState.slots[slot]!)) expected.set(`optimizer/${slot}/${n}`, optState.slots[slot]![n]!.shape);
      }
      checkCheckpointTensors(state, expected, f);
      const make = (key: string): tf.Tensor => {
        const e = state.tensors[key]!;
        return tf.tensor(e.values as number[], e.shape as number[], 'float32');
      };
      for (const n of names) {
        const t = make(`params/${n}`);
        variables[n]!.assign(t);
        t.dispose();
      }
      const slots: Record<string, Params> = {};
      for (const slot of Object.keys(optState.slots)) {
        slots[slot] = Object.fromEntries(paramNames(optState.slots[slot]!).map((n) => [n, tf.keep(make(`optimizer/${slot}/${n}`))]));
      }
      const old = optState;
      optState = { count, slots };
      disposeState(old);
      step = state.step;
    },

    dispose(): void {
      if (disposed) return;
      disposed = true;
      for (const v of Object.values(variables)) v.dispose();
      disposeState(optState);
    },
  };
  return learner;
}

function keepState(s: OptimizerState): OptimizerState {
  for (const slot of Object.values(s.slots)) for (const t of Object.values(slot)) tf.keep(t);
  return s;
}

function disposeState(s: OptimizerState): void {
  for (const slot of Object.values(s.slots)) disposeParams(slot);
}

function readAll(ts: readonly tf.Tensor[]): number[] {
  if (ts.length === 0) return [];
  const stacked = tf.tidy(() => tf.stack(ts.map((t) => tf.reshape(t, []))));
  const values = Array.from(stacked.dataSync());
  stacked.dispose();
  return values;
}

/**
 * Runs `tf.variableGrads`, turning tfjs's error for a loss that no meta-parameter reaches into a
 * MetaLearnError naming the solver.
 * @throws MetaLearnError `invalidArgument` when the meta-objective does not depend on any
 *   meta-parameter (a solver whose predictions ignore theta and its own parameters).
 */
function unconnectedAsError<T>(f: () => T, caller: string, solverName: string): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Error && /Cannot find a connection between any variable and the result of the loss/.test(e.message)) {
      throw new MetaLearnError('invalidArgument', `${caller}: the meta-objective does not depend on any meta-parameter: inner solver '${solverName}' must compute its predictions from theta (or its own solverParams) on the gradient tape`);
    }
    throw e;
  }
}
