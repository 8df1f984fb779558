/**
 * The configuration table of `metalearn bench speed`: the PyTorch peer's two problems
 * (`/work/shared/peers/torch_meta_bench.py`, its `PROBLEMS` and `make_step`) and one row per
 * learner, each naming the preset it is built from and the options that make our meta-training
 * step do the work the peer's `make_step` does. Data only: the learner itself is built from these
 * rows by {@link createSpeedLearner} through the plug-in container.
 */
import { MetaLearnError, type PluginOptions, type TaskKind } from '@metalearn/core';

/** The peer's outer (meta) learning rate of Adam, `META_LR`. */
export const PEER_META_LR = 1e-3;
/** Untimed meta-steps before the timed ones, the peer's `WARMUP`. */
export const PEER_WARMUP_STEPS = 3;
/** iMAML's proximal strength, the peer's `IMAML_LAMBDA`. */
export const PEER_IMAML_LAMBDA = 1.0;
/** iMAML's conjugate-gradient iterations, the peer's `IMAML_CG_STEPS`. */
export const PEER_IMAML_CG_STEPS = 5;

/** How many steps are timed: at least `minTimed`, and more (up to `maxTimed`) until `minSeconds` have passed (the peer's `min_timed`, `max_timed`, `min_time`). */
export interface TimingPlan {
  readonly warmupSteps: number;
  readonly minTimed: number;
  readonly maxTimed: number;
  /** Wall seconds the timed loop continues for, while fewer than `maxTimed` steps are timed. */
  readonly minSeconds: number;
}

/** The peer's defaults: 3 warm-up steps, then 10..50 timed steps over at least 3 s. */
export const PEER_TIMING: TimingPlan = { warmupSteps: PEER_WARMUP_STEPS, minTimed: 10, maxTimed: 50, minSeconds: 3 };

/** The names of the peer's problems. */
export type SpeedProblemName = 'sinusoid' | 'omniglot';

/** One problem: the episode shape, the network and the meta-batch. */
export interface SpeedProblem {
  readonly name: SpeedProblemName;
  /** Our dataset name whose defaults (backbone, sizes) the run configuration starts from. */
  readonly dataset: string;
  readonly kind: TaskKind;
  /** Classification: classes N; regression: output size. */
  readonly ways: number;
  /** Support examples per class (regression: support points). */
  readonly shots: number;
  /** Query examples per class (regression: query points). */
  readonly queryShots: number;
  /** One example, e.g. `[1]` or `[28, 28, 1]` (height, width, channels). */
  readonly inputShape: readonly number[];
  /** Tasks per meta-step. */
  readonly metaBatch: number;
  /** The inner learning rate `alpha` of the gradient-based learners. */
  readonly innerLr: number;
  /** Backbone plug-in and options (the peer's network). */
  readonly backbone: string;
  readonly backboneOptions: PluginOptions;
  /** For the table and the README. */
  readonly summary: string;
}

/**
 * The peer's problems:
 * - sinusoid: MLP 1-40-40-1 ReLU, 10 support + 10 query points, meta-batch 25, inner lr 0.01;
 * - omniglot: Conv-4 (4 x [3x3 conv, 64 filters, stride 2, 'same' padding, batch norm with batch
 *   statistics, ReLU]) on 28x28x1, the 2x2x64 map flattened to 256 features, linear head to 5;
 *   5-way 1-shot, 5 support + 75 query images (15 per class), meta-batch 4, inner lr 0.4. Our
 *   convolutions have no bias (batch norm's offset makes it redundant), so we have 4 x 64 = 256
 *   meta-parameters fewer than the peer (112,965 against 113,221).
 */
export const SPEED_PROBLEMS: Readonly<Record<SpeedProblemName, SpeedProblem>> = {
  sinusoid: {
    name: 'sinusoid',
    dataset: 'sinusoid',
    kind: 'regression',
    ways: 1,
    shots: 10,
    queryShots: 10,
    inputShape: [1],
    metaBatch: 25,
    innerLr: 0.01,
    backbone: 'mlp',
    backboneOptions: { hiddenSizes: [40, 40], activation: 'relu' },
    summary: 'MLP 1-40-40-1 ReLU, 10 support + 10 query points, 25 tasks',
  },
  omniglot: {
    name: 'omniglot',
    dataset: 'omniglot',
    kind: 'classification',
    ways: 5,
    shots: 1,
    queryShots: 15,
    inputShape: [28, 28, 1],
    metaBatch: 4,
    innerLr: 0.4,
    backbone: 'conv4',
    // Flattened 2x2x64 = 256 features, as the peer's `x.flatten(1)` (our strided default is the spatial mean).
    backboneOptions: { filters: 64, variant: 'strided', pooling: 'flatten' },
    summary: 'Conv-4 strided 64 filters + batch norm on 28x28x1, 256 flattened features, 5-way 1-shot, 5 support + 75 query, 4 tasks',
  },
};

/** The peer's algorithm names (its `ALGOS`). */
export type PeerAlgo = 'maml' | 'fomaml' | 'anil' | 'reptile' | 'r2d2' | 'imaml';

/** One learner row: which preset, how many inner steps, which peer algorithm, which options. */
export interface SpeedLearnerRow {
  /** The preset name (`metalearn train --learner NAME`), also the `--learners` filter name. */
  readonly learner: string;
  readonly innerSteps: number;
  /** The peer's algorithm timed against this row, or null (no peer: CAVIA, MetaOptNet). */
  readonly peerAlgo: PeerAlgo | null;
  /** Problems this row runs on (MetaOptNet's SVM head classifies only). */
  readonly problems: readonly SpeedProblemName[];
  /** Solver options on top of the preset's, to do the peer's work. */
  readonly solverOptions: PluginOptions;
  /** Learner (outer rule) options on top of the preset's. */
  readonly learnerOptions: PluginOptions;
  /** What differs from the peer's step, if anything. */
  readonly note?: string;
}

const BOTH: readonly SpeedProblemName[] = ['sinusoid', 'omniglot'];

/**
 * The learners, in table order. Each row's options follow the peer's `make_step`:
 * MAML second order (1 and 5 steps), first-order MAML, ANIL (head only, second order), Reptile
 * (5 SGD steps on the support set), R2-D2 (Woodbury ridge head, learnable log lambda, scale and
 * bias), iMAML (1 proximal SGD step, lambda 1, exactly 5 CG steps: tolerance 0); then CAVIA and
 * MetaOptNet, which the peer does not time.
 */
export const SPEED_LEARNERS: readonly SpeedLearnerRow[] = [
  { learner: 'maml', innerSteps: 1, peerAlgo: 'maml', problems: BOTH, solverOptions: {}, learnerOptions: {} },
  { learner: 'maml', innerSteps: 5, peerAlgo: 'maml', problems: BOTH, solverOptions: {}, learnerOptions: {} },
  { learner: 'fomaml', innerSteps: 1, peerAlgo: 'fomaml', problems: BOTH, solverOptions: {}, learnerOptions: {} },
  { learner: 'anil', innerSteps: 1, peerAlgo: 'anil', problems: BOTH, solverOptions: {}, learnerOptions: {} },
  {
    learner: 'reptile',
    innerSteps: 5,
    peerAlgo: 'reptile',
    problems: BOTH,
    solverOptions: {},
    // The peer's inner loop: plain SGD on the support set only, at the problem's inner lr.
    learnerOptions: { innerSet: 'support', innerOptimizer: 'sgd' },
    note: "outer update theta += epsilon (mean phi - theta) (Reptile's rule); the peer feeds theta - phi to Adam (an O(#params) difference)",
  },
  { learner: 'r2d2', innerSteps: 1, peerAlgo: 'r2d2', problems: BOTH, solverOptions: { form: 'woodbury', lambdaInit: 1, bias: true }, learnerOptions: {} },
  {
    learner: 'imaml',
    innerSteps: 1,
    peerAlgo: 'imaml',
    problems: BOTH,
    solverOptions: { lambda: PEER_IMAML_LAMBDA, cgSteps: PEER_IMAML_CG_STEPS, cgTol: 0, innerOptimizer: 'sgd', hvp: 'exact' },
    learnerOptions: {},
  },
  { learner: 'cavia', innerSteps: 1, peerAlgo: null, problems: BOTH, solverOptions: {}, learnerOptions: {}, note: 'no peer' },
  { learner: 'metaoptnet', innerSteps: 1, peerAlgo: null, problems: ['omniglot'], solverOptions: {}, learnerOptions: {}, note: 'no peer; classification only' },
];

/** One timed configuration: a problem and a learner row. */
export interface SpeedConfiguration {
  /** E.g. `'sinusoid/maml-1'`. */
  readonly id: string;
  readonly problem: SpeedProblem;
  readonly row: SpeedLearnerRow;
}

/** Filters of {@link listSpeedConfigurations} (absent: everything). */
export interface SpeedFilters {
  readonly problems?: readonly string[];
  readonly learners?: readonly string[];
}

/** The id of a configuration, `problem/learner-innerSteps`. */
export function speedConfigurationId(problem: string, learner: string, innerSteps: number): string {
  return `${problem}/${learner}-${innerSteps}`;
}

/**
 * The configurations to time, in table order (problem-major).
 * @param filters - `problems` (`--problems`) and `learners` (`--learners`, preset names).
 * @returns every (problem, row) pair passing the filters that the row supports.
 * @throws MetaLearnError `invalidArgument` naming `--problems` or `--learners` for an unknown
 *   name (listing the known ones), or when the filters leave nothing to time.
 */
export function listSpeedConfigurations(filters: SpeedFilters = {}): SpeedConfiguration[] {
  const knownProblems = Object.keys(SPEED_PROBLEMS);
  const knownLearners = [...new Set(SPEED_LEARNERS.map((r) => r.learner))];
  for (const p of filters.problems ?? []) {
    if (!knownProblems.includes(p)) throw new MetaLearnError('invalidArgument', `bench speed: --problems must name ${knownProblems.join(', ')}; got '${p}'`);
  }
  for (const l of filters.learners ?? []) {
    if (!knownLearners.includes(l)) throw new MetaLearnError('invalidArgument', `bench speed: --learners must name ${knownLearners.join(', ')}; got '${l}'`);
  }
  const out: SpeedConfiguration[] = [];
  for (const problem of Object.values(SPEED_PROBLEMS)) {
    if (filters.problems && !filters.problems.includes(problem.name)) continue;
    for (const row of SPEED_LEARNERS) {
      if (filters.learners && !filters.learners.includes(row.learner)) continue;
      if (!row.problems.includes(problem.name)) continue;
      out.push({ id: speedConfigurationId(problem.name, row.learner, row.innerSteps), problem, row });
    }
  }
  if (out.length === 0) throw new MetaLearnError('invalidArgument', `bench speed: --problems ${filters.problems?.join(',') ?? '(all)'} with --learners ${filters.learners?.join(',') ?? '(all)'} leaves no configuration to time`);
  return out;
}

/**
 * The configuration with this problem, learner and inner steps (how a worker process finds its
 * row from the `--worker` JSON).
 * @throws MetaLearnError `invalidArgument` naming `--worker` when there is no such row.
 */
export function findSpeedConfiguration(problem: string, learner: string, innerSteps: number): SpeedConfiguration {
  const id = speedConfigurationId(problem, learner, innerSteps);
  const all = listSpeedConfigurations();
  const c = all.find((x) => x.id === id);
  if (c === undefined) throw new MetaLearnError('invalidArgument', `bench speed: --worker names no configuration '${id}' (configurations: ${all.map((x) => x.id).join(', ')})`);
  return c;
}
