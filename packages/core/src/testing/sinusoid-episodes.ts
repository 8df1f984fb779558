/**
 * Seeded sinusoid regression episodes for tests: MAML's task distribution (or narrower ranges),
 * cheap to build, the same tensors for the same seed. Distinct from the `'sinusoid'` dataset of
 * @metalearn/datasets, which derives one seed per task; tests pin numbers on this simpler stream.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Episode } from '../episode.js';
import { createRng } from '../random.js';

/** Ranges of the uniform draws of {@link sinusoidEpisodes}. */
export interface SinusoidEpisodeRanges {
  /** `A ~ U[amplitude[0], amplitude[1]]`. */
  readonly amplitude: readonly [number, number];
  /** Every support and query point `x ~ U[x[0], x[1]]`. */
  readonly x: readonly [number, number];
}

/** MAML's sinusoid ranges (Finn et al. 2017, sec. 5.1): `A ~ U[0.1, 5]`, `x ~ U[-5, 5]`. */
export const MAML_SINUSOID_RANGES: SinusoidEpisodeRanges = { amplitude: [0.1, 5], x: [-5, 5] };

/**
 * `count` regression episodes `y = A sin(x - phi)`, `phi ~ U[0, pi]`, from one stream
 * `createRng(seed)` drawing per episode `A`, `phi`, then `2 shots` points (the first `shots` are
 * the support set, the rest the query set).
 * @param seed - integer seed: the same seed gives bitwise-equal tensors.
 * @param count - episodes.
 * @param shots - support points, and query points, per episode.
 * @param ranges - amplitude and x ranges; default {@link MAML_SINUSOID_RANGES}.
 * @returns episodes with `support.x, support.y, query.x, query.y: float32 [shots, 1]`,
 *   `ways = 1` (the caller disposes them, e.g. with `disposeEpisode`).
 * @example const tasks = sinusoidEpisodes(deriveSeed(7, step), 5, 10); // a meta-batch of 5
 * @see Finn, Abbeel & Levine 2017, Model-Agnostic Meta-Learning, sec. 5.1.
 */
export function sinusoidEpisodes(seed: number, count: number, shots: number, ranges: SinusoidEpisodeRanges = MAML_SINUSOID_RANGES): Episode[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => {
    const amp = rng.uniform(ranges.amplitude[0], ranges.amplitude[1]);
    const phase = rng.uniform(0, Math.PI);
    const xs = Array.from({ length: 2 * shots }, () => rng.uniform(ranges.x[0], ranges.x[1]));
    const ys = xs.map((x) => amp * Math.sin(x - phase));
    return {
      kind: 'regression',
      ways: 1,
      shots,
      queryShots: shots,
      support: { x: tf.tensor2d(xs.slice(0, shots), [shots, 1]), y: tf.tensor2d(ys.slice(0, shots), [shots, 1]) },
      query: { x: tf.tensor2d(xs.slice(shots), [shots, 1]), y: tf.tensor2d(ys.slice(shots), [shots, 1]) },
    } satisfies Episode;
  });
}
