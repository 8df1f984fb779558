/**
 * Sinusoid regression tasks (Finn, Abbeel & Levine 2017, sec. 5.1): each task is
 *
 *   `y = A · sin(x − φ)`,  `A ~ U[0.1, 5]`,  `φ ~ U[0, π]`,  `x ~ U[−5, 5]`,
 *
 * with K support points and K query points (MAML's code draws both from the same task; K = 5,
 * 10 or 20 in the paper). Task `index` under seed `seed` uses the generator
 * `createRng(deriveSeed(seed, 'sinusoid', index))`, drawing in this order: `A`, `φ`, the
 * `shots` support inputs, the `queryShots` query inputs. Values are computed in float64 and
 * stored as float32.
 *
 * An optional {@link SinusoidWarp} maps every point after sampling, for distribution-shift
 * experiments (e.g. inputs scaled or shifted at meta-test time, Finn & Levine 2018); wider
 * amplitude or phase ranges give out-of-distribution tasks directly.
 *
 * @see Finn, Abbeel & Levine 2017, "Model-Agnostic Meta-Learning", sec. 5.1; Finn & Levine 2018,
 *   "Meta-Learning and Universality", sec. 7 (extrapolation to out-of-distribution tasks).
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError, createRng, deriveSeed, disposeEpisode, type Episode, type EpisodeSource } from '@metalearn/core';

/** The parameters of one sinusoid task. */
export interface SinusoidTask {
  /** `A`. */
  readonly amplitude: number;
  /** `φ`, radians. */
  readonly phase: number;
}

/** Maps a sampled point `(x, y)` of `task` to the point the episode contains. Pure. */
export type SinusoidWarp = (point: { readonly x: number; readonly y: number }, task: SinusoidTask) => { x: number; y: number };

/** Options of {@link sampleSinusoidTask}. */
export interface SinusoidOptions {
  /** K: support points, integer >= 1. */
  readonly shots: number;
  /** Query points, integer >= 1; default `shots` (as MAML's code). */
  readonly queryShots?: number;
  /** Base seed, a safe integer. */
  readonly seed: number;
  /** `[lo, hi]` of `A`; default `[0.1, 5]`. */
  readonly amplitudeRange?: readonly [number, number];
  /** `[lo, hi]` of `φ` in radians; default `[0, π]`. */
  readonly phaseRange?: readonly [number, number];
  /** `[lo, hi]` of `x`; default `[−5, 5]`. */
  readonly xRange?: readonly [number, number];
  /** Optional distribution-shift map applied to every point. */
  readonly warp?: SinusoidWarp;
}

/** A sinusoid regression episode, with its task parameters. */
export interface SinusoidEpisode extends Episode, SinusoidTask {
  readonly kind: 'regression';
}

/** The MAML defaults. */
export const SINUSOID_DEFAULTS = {
  amplitudeRange: [0.1, 5] as const,
  phaseRange: [0, Math.PI] as const,
  xRange: [-5, 5] as const,
};

/** `A · sin(x − φ)`. */
export function sinusoidValue(x: number, task: SinusoidTask): number {
  return task.amplitude * Math.sin(x - task.phase);
}

function range(fn: string, name: string, r: readonly [number, number] | undefined, dflt: readonly [number, number]): readonly [number, number] {
  const v = r ?? dflt;
  if (!Array.isArray(v) || v.length !== 2 || !Number.isFinite(v[0]) || !Number.isFinite(v[1]) || v[0] > v[1]) {
    throw new MetaLearnError('invalidArgument', `${fn}: options.${name} must be [lo, hi] with finite lo <= hi, got ${JSON.stringify(r)}`);
  }
  return v;
}

/** Validated options with defaults filled in. */
export function sinusoidDefaults(fn: string, o: SinusoidOptions): Required<Omit<SinusoidOptions, 'warp'>> & { warp?: SinusoidWarp } {
  const int = (name: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new MetaLearnError('invalidArgument', `${fn}: options.${name} must be an integer >= 1, got ${String(v)}`);
    return v;
  };
  if (!Number.isSafeInteger(o.seed)) throw new MetaLearnError('invalidArgument', `${fn}: options.seed must be a safe integer, got ${String(o.seed)}`);
  if (o.warp !== undefined && typeof o.warp !== 'function') throw new MetaLearnError('invalidArgument', `${fn}: options.warp must be a function, got ${typeof o.warp}`);
  return {
    shots: int('shots', o.shots),
    queryShots: int('queryShots', o.queryShots ?? o.shots),
    seed: o.seed,
    amplitudeRange: range(fn, 'amplitudeRange', o.amplitudeRange, SINUSOID_DEFAULTS.amplitudeRange),
    phaseRange: range(fn, 'phaseRange', o.phaseRange, SINUSOID_DEFAULTS.phaseRange),
    xRange: range(fn, 'xRange', o.xRange, SINUSOID_DEFAULTS.xRange),
    ...(o.warp ? { warp: o.warp } : {}),
  };
}

/**
 * The numbers of sinusoid task `index` (no tensors): task parameters and float32 points.
 * @returns `support.x/y`, `query.x/y`: float32 `[shots]` / `[queryShots]`.
 * @throws MetaLearnError `invalidArgument` on bad options, a non-finite warped point or a bad index.
 */
export function sinusoidTaskData(options: SinusoidOptions, index: number): SinusoidTask & { support: { x: Float32Array; y: Float32Array }; query: { x: Float32Array; y: Float32Array } } {
  const o = sinusoidDefaults('sinusoidTaskData', options);
  if (!Number.isSafeInteger(index) || index < 0) throw new MetaLearnError('invalidArgument', `sinusoidTaskData: index must be a non-negative safe integer, got ${index}`);
  const rng = createRng(deriveSeed(o.seed, 'sinusoid', index));
  const task: SinusoidTask = { amplitude: rng.uniform(o.amplitudeRange[0], o.amplitudeRange[1]), phase: rng.uniform(o.phaseRange[0], o.phaseRange[1]) };
  const points = (n: number) => {
    const x = new Float32Array(n);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const px = rng.uniform(o.xRange[0], o.xRange[1]);
      let p = { x: px, y: sinusoidValue(px, task) };
      if (o.warp) p = o.warp(p, task);
      if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) throw new MetaLearnError('invalidArgument', `sinusoidTaskData: options.warp must return finite numbers, got (${p.x}, ${p.y})`);
      x[i] = p.x;
      y[i] = p.y;
    }
    return { x, y };
  };
  const support = points(o.shots);
  const query = points(o.queryShots);
  return { ...task, support, query };
}

/**
 * Sinusoid task `index` as an episode: `support.x, support.y: float32 [shots, 1]`,
 * `query.x, query.y: float32 [queryShots, 1]`, `ways = 1` (the output dimension).
 *
 * @param options - shots, queryShots, seed, ranges, warp.
 * @param index - task index >= 0; the same `(options, index)` always gives the same numbers.
 * @returns a new episode (the caller disposes it) with its `amplitude` and `phase`.
 * @throws MetaLearnError `invalidArgument` on bad options or index.
 * @example const e = sampleSinusoidTask({ shots: 10, seed: 1 }, 0); // e.support.x: [10, 1]
 */
export function sampleSinusoidTask(options: SinusoidOptions, index: number): SinusoidEpisode {
  const d = sinusoidTaskData(options, index);
  return {
    kind: 'regression',
    ways: 1,
    shots: d.support.x.length,
    queryShots: d.query.x.length,
    amplitude: d.amplitude,
    phase: d.phase,
    support: { x: tf.tensor2d(d.support.x, [d.support.x.length, 1]), y: tf.tensor2d(d.support.y, [d.support.y.length, 1]) },
    query: { x: tf.tensor2d(d.query.x, [d.query.x.length, 1]), y: tf.tensor2d(d.query.y, [d.query.y.length, 1]) },
  };
}

/** An {@link EpisodeSource} whose episodes carry their sinusoid parameters. */
export interface SinusoidSource extends EpisodeSource {
  readonly kind: 'regression';
  episode(index: number): SinusoidEpisode;
  metaBatch(batchIndex: number, metaBatchSize: number): SinusoidEpisode[];
}

/**
 * An {@link EpisodeSource} of sinusoid tasks (episode `i` is {@link sampleSinusoidTask}`(options, i)`).
 * @throws MetaLearnError `invalidArgument` on bad options.
 */
export function createSinusoidSource(options: SinusoidOptions): SinusoidSource {
  const o = sinusoidDefaults('createSinusoidSource', options);
  const metaBatch = (batchIndex: number, metaBatchSize: number): SinusoidEpisode[] => {
    if (!Number.isInteger(metaBatchSize) || metaBatchSize < 1) throw new MetaLearnError('invalidArgument', `metaBatch: metaBatchSize must be an integer >= 1, got ${metaBatchSize}`);
    if (!Number.isSafeInteger(batchIndex) || batchIndex < 0) throw new MetaLearnError('invalidArgument', `metaBatch: batchIndex must be a non-negative safe integer, got ${batchIndex}`);
    const out: SinusoidEpisode[] = [];
    try {
      for (let j = 0; j < metaBatchSize; j++) out.push(sampleSinusoidTask(o, batchIndex * metaBatchSize + j));
    } catch (e) {
      out.forEach(disposeEpisode);
      throw e;
    }
    return out;
  };
  return {
    name: 'sinusoid',
    kind: 'regression',
    inputShape: [1],
    ways: 1,
    shots: o.shots,
    queryShots: o.queryShots,
    episode: (index) => sampleSinusoidTask(o, index),
    metaBatch,
  };
}
