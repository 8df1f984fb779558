/**
 * The results record: one JSON line per evaluated configuration (committed under
 * `bench/results/*.jsonl`), enough to reproduce the number: command, seeds, episodes, commit.
 */

/** One evaluated configuration. `ci95` is the half-width of the 95% interval of `mean`. */
export interface ResultRecord {
  /** Preset (or solver) name, e.g. `'maml'`, `'r2d2'`. */
  readonly learner: string;
  readonly dataset: string;
  readonly split: string;
  readonly ways: number;
  readonly shots: number;
  readonly queryShots: number;
  /** `accuracy` and `error` in [0, 1]; `mse` in squared target units. */
  readonly metric: 'accuracy' | 'mse' | 'error';
  readonly mean: number;
  readonly ci95: number;
  readonly episodes: number;
  /** Inner steps at test time (0 for closed-form solvers). */
  readonly innerStepsTest: number;
  readonly metaSteps: number;
  /** Wall-clock seconds of meta-training. */
  readonly wallSeconds: number;
  readonly evalSeconds: number;
  /** Seed of the meta-training run (initialisation and meta-batches). */
  readonly seed: number;
  /** Seed of the test episodes; absent for the 20 one-shot runs (fixed, no seed). */
  readonly evalSeed?: number;
  /**
   * How the query set was predicted: `'transductive'` (one batch), `'per-example'`, or
   * `'with-support'` (each example batched with the support set: `Learner.queryProtocol`, e.g.
   * Reptile's default `transductive: false`).
   */
  readonly normMode: string;
  readonly backend: string;
  readonly backbone: string;
  /** The inner solver used at evaluation. */
  readonly solver: string;
  /** When evaluation swapped the solver (`eval --solver`), the one the run was trained with. */
  readonly trainSolver?: string;
  /** The solver options of the evaluation when `--solver-options` changed them (the run's own otherwise). */
  readonly solverOptions?: Readonly<Record<string, unknown>>;
  /** The outer rule's options of the evaluation when `--learner-options` changed them (the run's own otherwise). */
  readonly learnerOptions?: Readonly<Record<string, unknown>>;
  /** The episode shape the run was meta-trained on (may differ from `ways`/`shots`). */
  readonly trainWays: number;
  readonly trainShots: number;
  readonly outerRule: string;
  /** Commit of the evaluating code; `trainCommit` of the training run. */
  readonly commit: string;
  readonly trainCommit: string;
  /** The command line that trained the run, when the checkpoint records it. */
  readonly trainCommand?: string;
  /** The exact command line that produced the record. */
  readonly command: string;
  readonly date: string;
}
