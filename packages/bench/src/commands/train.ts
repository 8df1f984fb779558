/**
 * `metalearn train`: meta-trains a composed learner on a dataset's training split, with a
 * progress bar, atomic checkpoints every N meta-steps and `--resume`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError, disposeEpisode, initEngine, type BackendName, type Learner } from '@metalearn/core';
import { makeDirectory, stableStringify } from '@metalearn/datasets';
import { createHostContainer } from '../container.js';
import { resolveRunConfig, type RunConfig } from '../run-config.js';
import { createComposedLearner, resolveComposition, type Composition } from '../compose.js';
import { openSource, DEFAULT_SPLITS } from '../sources.js';
import { loadCheckpoint, saveCheckpoint, checkpointPath } from '../checkpoint-file.js';
import { appendJsonLine, writeFileAtomic, writingTo } from '../atomic-file.js';
import { currentCommit } from '../git-commit.js';
import { startProgress } from '../progress.js';
import { createParallelMetaStep } from '../parallel/parallel-meta-step.js';
import { loadPluginModules } from '../plugin-modules.js';

/** The run-config fields that `--resume` may change (budget, cadence, threads, plug-in modules). */
const RESUMABLE: ReadonlySet<string> = new Set(['metaSteps', 'maxMinutes', 'checkpointEvery', 'logEvery', 'workers', 'plugins']);

/** Options of {@link runTrain}. */
export interface TrainOptions {
  /** Merged config file and flags (validated by {@link resolveRunConfig}). */
  readonly config: Record<string, unknown>;
  /** Run folder: config.json, checkpoint.json, metrics.jsonl. */
  readonly out: string;
  readonly resume: boolean;
  readonly dataDir?: string;
  readonly backend?: BackendName;
  /** Training split; default per dataset (Omniglot: Vinyals 'train'). */
  readonly split?: string;
  /** The command line, recorded in the checkpoint and so in every result of the run. */
  readonly command?: string;
  /** Show the progress bar (default: when stderr is a terminal, else a line every ~10 s). */
  readonly quiet?: boolean;
  /**
   * Stop request (the CLI aborts it on SIGINT/SIGTERM): when aborted, the meta-step under way
   * finishes, a checkpoint is written and training returns with `interrupted: true`, so
   * `--resume` loses nothing.
   */
  readonly stop?: AbortSignal;
}

/** What a finished training run reports. */
export interface TrainResult {
  readonly runDir: string;
  readonly steps: number;
  readonly wallSeconds: number;
  readonly lastLoss: number;
  readonly lastAccuracy?: number;
  /** Meta-steps taken by this call (0 when a resumed run was already at `metaSteps`). */
  readonly stepsThisSession: number;
  /** True when {@link TrainOptions.stop} ended the run (after checkpointing). */
  readonly interrupted?: boolean;
}

/**
 * Meta-trains and checkpoints. Meta-batch `t` is `source.metaBatch(t, metaBatch)` under the run
 * seed, so a resumed run sees the same episodes as an uninterrupted one. With `config.workers`
 * `W > 1` each meta-batch is split across `W` threads ({@link createParallelMetaStep}; the pool is
 * closed when training ends or fails); a run is bitwise reproducible for a given `W`.
 * Third-party parts come from `config.plugins` (on `--resume`: the run's own unless others are given).
 * On `--resume`, the checkpoint's configuration is kept; `metaSteps` (when given), `maxMinutes`,
 * `checkpointEvery`, `logEvery`, `workers` and `plugins` may change.
 * @throws MetaLearnError `invalidArgument` when a plug-in module cannot be imported or exports no
 *   ContainerModule, or when `--resume` is given a setting that differs from the run's (naming it);
 *   `checkpoint` when `--resume` finds no checkpoint or one of another run, or when the folder
 *   already holds a checkpoint and `--resume` is not given (nothing is overwritten).
 */
export async function runTrain(o: TrainOptions): Promise<TrainResult> {
  const engine = await initEngine(o.backend ? { backend: o.backend } : {});
  const existing = existsSync(checkpointPath(o.out));
  let config: RunConfig = resolveRunConfig(o.config);
  const givenPlugins = config.plugins ?? [];
  let startStep = 0;
  let wallBefore = 0;
  const resumed = o.resume ? loadCheckpoint(o.out) : undefined;
  if (!o.resume && existing) {
    throw new MetaLearnError('checkpoint', `train: --out ${o.out} already holds a checkpoint; pass --resume to continue it or choose another --out`);
  }
  if (resumed) {
    const { metaSteps, checkpointEvery, logEvery, maxMinutes, workers } = config;
    // The run's identity comes from its checkpoint; only the budget, cadence, threads and plug-in
    // modules (below) may change. A flag that would change anything else is an error, not silently
    // ignored.
    const given = Object.keys(o.config);
    const now = config as unknown as Record<string, unknown>;
    const was = resumed.config as unknown as Record<string, unknown>;
    // Key order does not matter: '{"a":1,"b":2}' and '{"b":2,"a":1}' are the same options.
    const differing = given.filter((k) => !RESUMABLE.has(k) && stableStringify(now[k]) !== stableStringify(was[k]));
    if (differing.length > 0) {
      const show = (k: string) => `${k} ${JSON.stringify(now[k])} (the run has ${JSON.stringify(was[k])})`;
      throw new MetaLearnError('invalidArgument', `train --resume: ${differing.map(show).join('; ')}: a resumed run keeps its configuration; only ${[...RESUMABLE].join(', ')} may change (train into a new --out to change the rest)`);
    }
    // What is not given keeps the run's value (not the defaults: a cadence of 100 stays 100).
    const keep = <K extends 'metaSteps' | 'checkpointEvery' | 'logEvery'>(k: K, v: RunConfig[K]): RunConfig[K] => (given.includes(k) ? v : resumed.config[k]);
    config = {
      ...resumed.config, metaSteps: keep('metaSteps', metaSteps), checkpointEvery: keep('checkpointEvery', checkpointEvery), logEvery: keep('logEvery', logEvery),
      ...(maxMinutes !== undefined ? { maxMinutes } : {}), ...(workers !== undefined ? { workers } : {}),
    };
    startStep = resumed.state.step;
    wallBefore = resumed.wallSeconds;
  }
  // On --resume, given modules replace the recorded ones (a module that moved is named again).
  const plugins = await loadPluginModules(givenPlugins.length > 0 ? givenPlugins : resumed?.config.plugins ?? []);
  if (plugins.resolved.length > 0) config = { ...config, plugins: plugins.resolved };
  const container = createHostContainer(...plugins.modules);
  const split = o.split ?? DEFAULT_SPLITS[config.dataset]?.train ?? 'train';
  const source = await openSource(container, config, split, config.seed, o.dataDir);
  const task = { kind: source.kind, ways: source.ways, inputShape: source.inputShape };
  const composition = resumed ? rescheduled(resumed.composition, resumed.config.metaSteps, config.metaSteps, o.quiet === true) : resolveComposition(config, task);
  const learner: Learner = createComposedLearner(container, composition, task, config.seed);
  if (resumed) learner.load(resumed.state);
  writingTo('train: --out', o.out, () => makeDirectory(o.out));
  // metrics.jsonl holds exactly the steps up to the checkpoint: lines logged after it (a run killed
  // between checkpoints) or by a run that never reached one are dropped, and re-logged on the way.
  keepMetricsUpTo(join(o.out, 'metrics.jsonl'), startStep);
  writeFileAtomic(join(o.out, 'config.json'), JSON.stringify({ config, composition, split }, null, 2) + '\n');
  const commit = currentCommit();
  const save = (wallSeconds: number) =>
    saveCheckpoint(o.out, { version: 1, config, composition, state: learner.state(), wallSeconds, commit, ...(o.command !== undefined ? { command: o.command } : {}), savedAt: new Date().toISOString() });

  const stepper = await createParallelMetaStep({ learner, workers: config.workers ?? 1, recipe: { composition, task, seed: config.seed, backend: engine.backend, ...(plugins.resolved.length > 0 ? { plugins: plugins.resolved } : {}) } });
  let result: TrainResult;
  try {
    const bar = startProgress('meta-step', config.metaSteps, startStep, ['loss', 'acc', 'rate'], o.quiet === true);
    const t0 = performance.now();
    let last = { loss: NaN, accuracy: undefined as number | undefined };
    let emaLoss = NaN;
    let emaAcc = NaN;
    let stoppedAt = config.metaSteps;
    let interrupted = false;
    for (let step = startStep; step < config.metaSteps; step++) {
      const tasks = source.metaBatch(step, config.metaBatch);
      let m;
      try {
        m = await stepper.step(tasks);
      } finally {
        tasks.forEach(disposeEpisode);
      }
      if (!Number.isFinite(m.loss)) {
        save(wallBefore + (performance.now() - t0) / 1000);
        throw new MetaLearnError('nonFinite', `train: the query loss became ${m.loss} at meta-step ${step + 1}; the last finite checkpoint is in ${o.out}`);
      }
      last = { loss: m.loss, accuracy: m.accuracy };
      emaLoss = Number.isNaN(emaLoss) ? m.loss : 0.98 * emaLoss + 0.02 * m.loss;
      if (m.accuracy !== undefined) emaAcc = Number.isNaN(emaAcc) ? m.accuracy : 0.98 * emaAcc + 0.02 * m.accuracy;
      const done = step + 1;
      const elapsed = (performance.now() - t0) / 1000;
      bar.update(done, { loss: emaLoss.toFixed(4), acc: Number.isNaN(emaAcc) ? '-' : (emaAcc * 100).toFixed(1) + '%', rate: ((done - startStep) / elapsed).toFixed(2) + ' steps/s' });
      if (done % config.logEvery === 0 || done === config.metaSteps) {
        appendJsonLine(join(o.out, 'metrics.jsonl'), { step: done, loss: m.loss, accuracy: m.accuracy, emaLoss, emaAccuracy: Number.isNaN(emaAcc) ? undefined : emaAcc, wallSeconds: wallBefore + elapsed, numTensors: tf.memory().numTensors });
      }
      const outOfTime = config.maxMinutes !== undefined && elapsed >= config.maxMinutes * 60;
      // A serial meta-step never yields to the event loop, where signal handlers run: yield once.
      if (o.stop !== undefined) await new Promise<void>((r) => setImmediate(r));
      interrupted = o.stop?.aborted === true;
      if (done % config.checkpointEvery === 0 || done === config.metaSteps || outOfTime || interrupted) save(wallBefore + elapsed);
      if (outOfTime || interrupted) {
        stoppedAt = done;
        break;
      }
    }
    bar.stop();
    const wallSeconds = wallBefore + (performance.now() - t0) / 1000;
    if (startStep >= config.metaSteps) save(wallSeconds);
    result = { runDir: o.out, steps: Math.max(stoppedAt, startStep), stepsThisSession: Math.max(stoppedAt - startStep, 0), wallSeconds, lastLoss: last.loss, ...(last.accuracy !== undefined ? { lastAccuracy: last.accuracy } : {}), ...(interrupted ? { interrupted } : {}) };
  } finally {
    await stepper.close();
  }
  learner.dispose();
  return result;
}

/**
 * Keeps the lines of a metrics file whose `step` is at most `maxStep` (all of them when none is
 * larger), rewriting the file atomically; removes nothing when the file does not exist.
 * @param path - the run's metrics.jsonl.
 * @param maxStep - the checkpoint's step (0 for a fresh run: the file is emptied).
 */
function keepMetricsUpTo(path: string, maxStep: number): void {
  if (!existsSync(path)) return;
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const kept = lines.filter((l) => {
    try {
      const step = (JSON.parse(l) as { step?: unknown }).step;
      return typeof step === 'number' && step <= maxStep;
    } catch {
      return false; // a torn last line
    }
  });
  if (kept.length !== lines.length) writeFileAtomic(path, kept.map((l) => l + '\n').join(''));
}

/**
 * On `--resume` with another budget: an outer-rate schedule laid out for the run's budget
 * (`learnerOptions.totalSteps` equal to its `metaSteps`, as the presets and the cosine default set
 * it: Reptile's annealed ε, a cosine outer rate) is laid out for the new one, as the reference
 * code's `frac_done = step / meta_iters` would be; the rate jumps to the new schedule's value at
 * the current step. Otherwise the steps past the old budget would run at the final rate (ε = 0 for
 * Reptile: no update at all). A `totalSteps` the user chose (another value) is kept. MAML++'s
 * annealing lengths (10% of the first budget) are kept.
 * @param c - the run's composition; @param was - its budget; @param now - the new budget.
 * @param quiet - no note on stderr.
 * @returns the composition to resume with (the same object when nothing changes).
 */
function rescheduled(c: Composition, was: number, now: number, quiet: boolean): Composition {
  if (now === was || c.learnerOptions['totalSteps'] !== was) return c;
  if (!quiet) console.error(`metalearn: train --resume: the outer-rate schedule (learnerOptions.totalSteps) now spans ${now} meta-steps instead of ${was}`);
  return { ...c, learnerOptions: { ...c.learnerOptions, totalSteps: now } };
}
