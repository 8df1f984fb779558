/**
 * `metalearn eval`: evaluates a trained run on fixed, seeded test episodes of held-out classes
 * (mean and 95% interval), or on the 20 Omniglot one-shot runs (error rate), and appends one
 * results record (JSON Lines) per evaluation.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { disposeEpisode, initEngine, MetaLearnError, resolvePlugin, type BackendName, type Episode, type EpisodeSource, type Learner } from '@metalearn/core';
import { createHostContainer } from '../container.js';
import { createComposedLearner } from '../compose.js';
import { openSource, DEFAULT_SPLITS } from '../sources.js';
import { loadCheckpoint } from '../checkpoint-file.js';
import { meanCi95 } from '../stats.js';
import { loadPluginModules } from '../plugin-modules.js';
import { appendJsonLine, checkAppendable } from '../atomic-file.js';
import { currentCommit } from '../git-commit.js';
import { startProgress } from '../progress.js';
import type { ResultRecord } from '../result-record.js';
import { transplantState } from '../transplant.js';

/**
 * How batch norm sees the query set at evaluation.
 * - `transductive`: the whole query set is one batch and batch norm uses its statistics (what
 *   MAML's reference code does; Finn et al. 2017, and Nichol et al. 2018 on its effect).
 * - `per-example`: each query example is predicted alone, so no query example influences
 *   another's prediction (non-transductive).
 * An outer rule whose `Learner.queryProtocol` is `'with-support'` (Reptile's default,
 * `transductive: false`) predicts each query example in one batch with the support set whatever the
 * mode: the record's `normMode` is then `'with-support'`.
 */
export type NormMode = 'transductive' | 'per-example';

/** The summary's words for each `normMode`. */
const QUERY_PROTOCOL: Readonly<Record<NormMode | 'with-support', string>> = {
  transductive: 'query as one batch',
  'per-example': 'query one example at a time',
  'with-support': 'each query example batched with the support set',
};

/** Options of {@link runEval}. */
export interface EvalOptions {
  readonly run: string;
  /** Test episodes (default 600); not with `oneShotRuns` (there are always the 20 runs). */
  readonly episodes?: number;
  /** Seed of the test episodes (the same for every learner compared); default 1; not with `oneShotRuns`. */
  readonly evalSeed?: number;
  /** Inner steps at test time (gradient solvers); default the run's `evalInnerSteps`. */
  readonly innerSteps?: number;
  readonly split?: string;
  readonly norm: NormMode;
  /**
   * Evaluate on the 20 Omniglot one-shot runs (20-way 1-shot, fixed): `episodes`, `evalSeed`,
   * `split`, `ways`, `shots` and `queryShots` do not apply and are refused.
   */
  readonly oneShotRuns: boolean;
  readonly dataDir?: string;
  readonly backend?: BackendName;
  /** JSON Lines file to append the record to. */
  readonly results?: string;
  /** The command line, recorded with the result. */
  readonly command: string;
  readonly quiet?: boolean;
  /** Evaluate with another inner solver than the run's (its backbone and head transplanted). */
  readonly solver?: string;
  readonly solverOptions?: Readonly<Record<string, unknown>>;
  /**
   * Options of the run's outer rule (learner) set on top of its own for evaluation, e.g. Reptile's
   * `{ "transductive": true }` or `{ "evalInnerBatchSize": 10 }`; validated by the learner; recorded.
   */
  readonly learnerOptions?: Readonly<Record<string, unknown>>;
  /**
   * Test episodes of another shape than the run trained on (e.g. trained 5-way 1-shot, tested
   * 5-way 5-shot). With other `ways`, only the backbone is transplanted: the head is re-initialised
   * for the new number of classes (a closed-form head does not use it; a gradient solver adapts it).
   */
  readonly ways?: number;
  readonly shots?: number;
  readonly queryShots?: number;
  /**
   * Third-party plug-in modules to load instead of the run's own (`config.plugins` of its
   * checkpoint, loaded when this is not given): e.g. a module that moved, or the run's and that of
   * another `--solver`.
   */
  readonly plugins?: readonly string[];
}

/** Scores one episode: query loss and accuracy, transductively or one example at a time. */
function scoreEpisode(learner: Learner, e: Episode, norm: NormMode): { loss: number; accuracy?: number } {
  if (norm === 'transductive') return learner.evaluate(e);
  const nq = e.query.x.shape[0]!;
  let correct = 0;
  let se = 0;
  tf.tidy(() => {
    const adapted = learner.adapt(e.support, { kind: e.kind, ways: e.ways });
    for (let i = 0; i < nq; i++) {
      tf.tidy(() => {
        const pred = adapted.predict(tf.slice(e.query.x, [i], [1]));
        if (e.kind === 'classification') {
          correct += tf.argMax(pred, 1).dataSync()[0] === tf.slice(e.query.y, [i], [1]).dataSync()[0] ? 1 : 0;
        } else {
          se += tf.sum(tf.squaredDifference(pred, tf.slice(e.query.y, [i], [1]))).dataSync()[0]! / (pred.shape[1] ?? 1);
        }
      });
    }
  });
  return e.kind === 'classification' ? { loss: NaN, accuracy: correct / nq } : { loss: se / nq };
}

/**
 * Evaluates and records. Prints e.g.
 * `omniglot/test 5-way 1-shot, maml: accuracy 97.10% ± 0.40% (95% CI, 600 episodes, eval seed 1, 3 inner steps, query as one batch)`.
 * @returns the record written.
 * @throws MetaLearnError `checkpoint` when the run has no checkpoint; `invalidArgument` when a
 *   plug-in module cannot be imported or exports no ContainerModule, or when `oneShotRuns` comes
 *   with `episodes`, `split`, `ways`, `shots` or `queryShots`; `nonFinite` when any test
 *   episode's score is not finite (the adaptation diverged), naming how many and the first, before
 *   any record is written.
 */
export async function runEval(o: EvalOptions): Promise<ResultRecord> {
  const info = await initEngine(o.backend ? { backend: o.backend } : {});
  if (o.episodes !== undefined && !(Number.isInteger(o.episodes) && o.episodes >= 2)) throw new MetaLearnError('invalidArgument', `eval: --episodes must be an integer >= 2 (a 95% interval needs two), got ${String(o.episodes)}`);
  for (const [flag, value] of [['--solver-options', o.solverOptions], ['--learner-options', o.learnerOptions]] as const) {
    if (value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw new MetaLearnError('invalidArgument', `eval: ${flag} must be a JSON object, got ${JSON.stringify(value)}`);
    }
  }
  const evalSeed = o.evalSeed ?? 1;
  // A results file that cannot be written fails now, not after every episode has run.
  if (o.results !== undefined) checkAppendable(o.results, 'eval: --results');
  if (o.oneShotRuns) {
    const given = (['episodes', 'evalSeed', 'split', 'ways', 'shots', 'queryShots'] as const).filter((k) => o[k] !== undefined);
    const flag = (k: string) => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
    if (given.length > 0) throw new MetaLearnError('invalidArgument', `eval: --one-shot-runs evaluates the 20 fixed 20-way 1-shot runs; ${given.map(flag).join(', ')} ${given.length > 1 ? 'do not apply (drop them)' : 'does not apply (drop it)'}`);
  }
  const ckpt = loadCheckpoint(o.run);
  const config = { ...ckpt.config, ...(o.ways !== undefined ? { ways: o.ways } : {}), ...(o.shots !== undefined ? { shots: o.shots } : {}), ...(o.queryShots !== undefined ? { queryShots: o.queryShots } : {}) };
  // Given modules replace the recorded ones (a module that moved is named again at its new place).
  const container = createHostContainer(...(await loadPluginModules(o.plugins ?? ckpt.config.plugins ?? [])).modules);
  let source: EpisodeSource;
  let split: string;
  if (o.oneShotRuns) {
    if (config.dataset !== 'omniglot') throw new MetaLearnError('invalidArgument', `eval: --one-shot-runs needs a run trained on omniglot, this one used '${config.dataset}'`);
    split = 'one-shot-runs';
    source = await openSource(container, { ...config, ways: 20, shots: 1, queryShots: 1 }, split, evalSeed, o.dataDir);
  } else {
    split = o.split ?? DEFAULT_SPLITS[config.dataset]?.test ?? 'test';
    source = await openSource(container, config, split, evalSeed, o.dataDir);
  }
  const episodes = source.size ?? o.episodes ?? 600;
  const task = { kind: source.kind, ways: source.ways, inputShape: source.inputShape };
  const reshaped = source.ways !== ckpt.config.ways;
  const otherSolver = o.solver !== undefined && o.solver !== ckpt.composition.solver;
  const swapped = otherSolver || reshaped;
  // Another solver gets only the options given; the run's own solver gets its options with the given ones on top.
  const withLearnerOptions = o.learnerOptions !== undefined ? { ...ckpt.composition, learnerOptions: { ...ckpt.composition.learnerOptions, ...o.learnerOptions } } : ckpt.composition;
  const evaluated = otherSolver ? { ...withLearnerOptions, solver: o.solver!, solverOptions: o.solverOptions ?? {} }
    : o.solverOptions !== undefined ? { ...withLearnerOptions, solverOptions: { ...ckpt.composition.solverOptions, ...o.solverOptions } } : withLearnerOptions;
  // Who runs the test-time inner steps: an outer rule with its own inner loop (Reptile: its
  // learnerOptions.evalInnerSteps; its solver is unused), else a solver that takes steps (its
  // options name them, or, for another solver, it accepts evalInnerSteps), else nobody (closed form).
  const learnerSteps = 'evalInnerSteps' in evaluated.learnerOptions;
  const usesSteps = !learnerSteps && ('evalInnerSteps' in evaluated.solverOptions || 'innerSteps' in evaluated.solverOptions
    || (otherSolver && solverTakesSteps(container, evaluated.solver, evaluated.solverOptions)));
  if (o.innerSteps !== undefined && !learnerSteps && !usesSteps) {
    throw new MetaLearnError('invalidArgument', `eval: --inner-steps does not apply: solver '${evaluated.solver}' takes no inner steps (a closed-form solver)`);
  }
  const innerStepsTest = o.innerSteps
    ?? ((learnerSteps ? evaluated.learnerOptions['evalInnerSteps'] : usesSteps ? evaluated.solverOptions['evalInnerSteps'] : undefined) as number | undefined)
    ?? config.evalInnerSteps;
  const composition = usesSteps ? { ...evaluated, solverOptions: { ...evaluated.solverOptions, evalInnerSteps: innerStepsTest } }
    : learnerSteps ? { ...evaluated, learnerOptions: { ...evaluated.learnerOptions, evalInnerSteps: innerStepsTest } } : evaluated;
  const learner = createComposedLearner(container, composition, task, config.seed);
  // The protocol actually used: an outer rule may batch each query example with the support set itself.
  const normMode = learner.queryProtocol ?? o.norm;
  // Other ways: the backbone, and the same solver's meta-parameters where their shapes allow (a
  // new head). Another solver: the model only, the new solver's parameters fresh.
  learner.load(swapped ? transplantState(learner.state(), ckpt.state, reshaped ? ['params/backbone/'] : undefined, reshaped && !otherSolver ? ['params/solver/'] : []) : ckpt.state);
  const bar = startProgress('episode', episodes, 0, [], o.quiet === true);
  const scores: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < episodes; i++) {
    const e = source.episode(i);
    try {
      const s = scoreEpisode(learner, e, o.norm);
      scores.push(source.kind === 'classification' ? s.accuracy! : s.loss);
    } finally {
      disposeEpisode(e);
    }
    bar.update(i + 1);
  }
  bar.stop();
  learner.dispose();
  const metric = o.oneShotRuns ? 'error' : source.kind === 'classification' ? 'accuracy' : 'mse';
  const bad = scores.flatMap((v, i) => (Number.isFinite(v) ? [] : [i]));
  if (bad.length > 0) {
    throw new MetaLearnError('nonFinite', `eval: ${bad.length} of ${episodes} test episodes gave a non-finite ${metric} (first: episode ${bad[0]}, ${scores[bad[0]!]}): the adaptation diverges at ${innerStepsTest} inner steps from this checkpoint (try fewer --inner-steps); no record was written`);
  }
  const values = metric === 'error' ? scores.map((a) => 1 - a) : scores;
  const { mean, ci95 } = meanCi95(values);
  const record: ResultRecord = {
    learner: config.solver ?? config.learner,
    dataset: config.dataset,
    split,
    ways: source.ways,
    shots: source.shots,
    queryShots: source.queryShots,
    metric,
    mean,
    ci95,
    episodes,
    innerStepsTest: usesSteps || learnerSteps ? innerStepsTest : 0,
    metaSteps: ckpt.state.step,
    wallSeconds: ckpt.wallSeconds,
    evalSeconds: (performance.now() - t0) / 1000,
    seed: config.seed,
    ...(o.oneShotRuns ? {} : { evalSeed }),
    normMode,
    backend: info.backend,
    backbone: ckpt.composition.backbone,
    solver: composition.solver,
    ...(otherSolver ? { trainSolver: ckpt.composition.solver } : {}),
    ...(evaluated.solverOptions !== ckpt.composition.solverOptions ? { solverOptions: composition.solverOptions } : {}),
    ...(o.learnerOptions !== undefined ? { learnerOptions: composition.learnerOptions } : {}),
    trainWays: ckpt.config.ways,
    trainShots: ckpt.config.shots,
    outerRule: ckpt.composition.outerRule,
    commit: currentCommit(),
    trainCommit: ckpt.commit,
    ...(ckpt.command !== undefined ? { trainCommand: ckpt.command } : {}),
    command: o.command,
    date: new Date().toISOString(),
  };
  const pct = (x: number) => (metric === 'mse' ? x.toFixed(4) : (100 * x).toFixed(2) + '%');
  console.log(
    `${source.name} ${source.ways}-way ${source.shots}-shot, ${record.learner}${record.trainSolver !== undefined ? ` (evaluated with solver ${record.solver})` : ''}: ${metric} ${pct(mean)} ± ${pct(ci95)} ` +
      `(95% CI, ${episodes} episodes${o.oneShotRuns ? '' : `, eval seed ${evalSeed}`}, ${record.innerStepsTest} inner steps, ${QUERY_PROTOCOL[normMode]})`,
  );
  if (o.results) appendJsonLine(o.results, record, 'eval: --results');
  return record;
}

/** Default results path inside a run folder. */
export function runResultsPath(run: string): string {
  return join(run, 'results.jsonl');
}

/** Whether the registered inner solver `name` takes an `evalInnerSteps` option (probed by creating it with one). */
function solverTakesSteps(container: ReturnType<typeof createHostContainer>, name: string, options: Readonly<Record<string, unknown>>): boolean {
  try {
    resolvePlugin(container, 'innerSolver', name).create({ ...options, evalInnerSteps: 1 });
    return true;
  } catch (e) {
    if (MetaLearnError.is(e, 'invalidArgument')) return false;
    throw e;
  }
}

