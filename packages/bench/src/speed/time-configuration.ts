/**
 * Timing of one configuration in this process, the way the peer's `worker` times its
 * configuration: the learner and a pool of synthetic meta-batches built first (not timed), warm-up
 * steps, then timed meta-training steps (each `learner.metaTrainStep(batch)`: inner loop for every
 * task, query loss, meta-gradient, outer update; it returns the loss as a number, so the work is
 * finished when the clock stops) until at least `minTimed` steps and `minSeconds` seconds, at most
 * `maxTimed` steps. With `workers > 1` each step is split across that many threads
 * ({@link createParallelMetaStep}: worker threads started, and their learners built, before timing).
 */
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { countParams, disposeEpisode, type BackendName, type Learner } from '@metalearn/core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { createHostContainer } from '../container.js';
import { quantile } from '../stats.js';
import type { SpeedConfiguration, TimingPlan } from './configurations.js';
import { speedEpisodePool } from './episode-pool.js';
import { otherProcessesBusy, readCpuJiffies } from './machine-load.js';
import { createSpeedLearner } from './speed-learner.js';
import { createParallelMetaStep } from '../parallel/parallel-meta-step.js';

/** What timing one configuration in one process measured (one JSON line of a worker). */
export interface OursTiming {
  /** `problem/learner-innerSteps`. */
  readonly id: string;
  readonly problem: string;
  readonly learner: string;
  readonly innerSteps: number;
  readonly metaBatch: number;
  /** The active tfjs backend and its threads (wasm: its thread pool; cpu: 1). */
  readonly backend: string;
  readonly threads: number;
  /** Threads sharing each meta-batch (`--workers`; 1: the serial step). */
  readonly workers: number;
  /** The composed parts: inner solver and outer rule plug-in names. */
  readonly solver: string;
  readonly outerRule: string;
  /** Meta-parameters updated by the outer step (model and solver), scalars. */
  readonly metaParams: number;
  readonly warmupSteps: number;
  readonly timedSteps: number;
  /** Median, 95th percentile (linear interpolation), minimum and maximum of the timed steps, ms. */
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** `metaBatch / (medianMs / 1000)`. */
  readonly tasksPerSecond: number;
  /** Peak resident set of the process (`process.resourceUsage().maxRSS`), bytes. */
  readonly peakRssBytes: number;
  /** Peak resident set once the learner and the episodes were built (before any step), bytes. */
  readonly setupRssBytes: number;
  /** `tf.memory().numTensors` right before and right after the timed steps (after warm-up). */
  readonly tensorsBefore: number;
  readonly tensorsAfter: number;
  /** This process's CPU time (user + system) per timed step, ms. */
  readonly cpuMsPerStep: number;
  /** Fraction of all cores other processes used during the timed steps (null off Linux). */
  readonly otherProcessesBusy: number | null;
  readonly firstLoss: number;
  readonly lastLoss: number;
  readonly allFinite: boolean;
}

/** Peak resident set so far, bytes (`maxRSS` is in KiB). */
function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * Times the meta-training step of a configuration on the active backend (call `initEngine` first).
 * @param c - the configuration (problem and learner row).
 * @param plan - warm-up steps and the timed-steps rule.
 * @param seed - seed of the meta-parameters and of the synthetic episodes.
 * @param workers - threads sharing each meta-batch (default 1: `learner.metaTrainStep`).
 * @returns the timing; every tensor it made is disposed, every worker thread stopped.
 * @throws MetaLearnError from the learner's composition or its steps.
 */
export async function timeSpeedConfiguration(c: SpeedConfiguration, plan: TimingPlan, seed: number, workers = 1): Promise<OursTiming> {
  const built = createSpeedLearner(createHostContainer(), c, seed);
  const learner: Learner = built.learner;
  const pool = speedEpisodePool(c.problem, seed);
  const stepper = await createParallelMetaStep({ learner, workers, recipe: { composition: built.composition, task: built.task, seed, backend: tf.getBackend() as BackendName } }).catch((e: unknown) => {
    pool.flat().forEach(disposeEpisode);
    learner.dispose();
    throw e;
  });
  try {
    const setupRssBytes = peakRssBytes();
    const losses: number[] = [];
    let step = 0;
    const next = () => pool[step++ % pool.length]!;
    for (let i = 0; i < plan.warmupSteps; i++) losses.push((await stepper.step(next())).loss);
    const tensorsBefore = tf.memory().numTensors;
    const timesMs: number[] = [];
    const jiffies0 = readCpuJiffies();
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    while (timesMs.length < plan.minTimed || (timesMs.length < plan.maxTimed && performance.now() - start < plan.minSeconds * 1000)) {
      const batch = next();
      const t0 = performance.now();
      const m = await stepper.step(batch);
      timesMs.push(performance.now() - t0);
      losses.push(m.loss);
    }
    const wallMs = performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    const jiffies1 = readCpuJiffies();
    const tensorsAfter = tf.memory().numTensors;
    const ownCpuMs = (cpu.user + cpu.system) / 1000;
    const medianMs = quantile(timesMs, 0.5);
    return {
      id: c.id,
      problem: c.problem.name,
      learner: c.row.learner,
      innerSteps: c.row.innerSteps,
      metaBatch: c.problem.metaBatch,
      backend: tf.getBackend(),
      threads: tf.getBackend() === 'wasm' ? getThreadsCount() : 1,
      workers,
      solver: built.composition.solver,
      outerRule: built.composition.outerRule,
      metaParams: countParams(learner.params),
      warmupSteps: plan.warmupSteps,
      timedSteps: timesMs.length,
      medianMs,
      p95Ms: quantile(timesMs, 0.95),
      minMs: Math.min(...timesMs),
      maxMs: Math.max(...timesMs),
      tasksPerSecond: c.problem.metaBatch / (medianMs / 1000),
      peakRssBytes: peakRssBytes(),
      setupRssBytes,
      tensorsBefore,
      tensorsAfter,
      cpuMsPerStep: ownCpuMs / timesMs.length,
      otherProcessesBusy: otherProcessesBusy(jiffies0, jiffies1, ownCpuMs, wallMs, cpus().length),
      firstLoss: losses[0] ?? NaN,
      lastLoss: losses[losses.length - 1] ?? NaN,
      allFinite: losses.every(Number.isFinite),
    };
  } finally {
    await stepper.close();
    pool.flat().forEach(disposeEpisode);
    learner.dispose();
  }
}
