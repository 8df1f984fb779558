/**
 * Seeded synthetic meta-batches of a speed problem, generated before timing (as the peer's
 * `pool = [prob.sample_batch() for _ in range(2)]`): the kernels and shapes are those of real
 * data, and generating them is not timed.
 */
import { deriveSeed, type Episode } from '@metalearn/core';
import { sinusoidEpisodes, syntheticEpisode } from '@metalearn/core/testing';
import type { SpeedProblem } from './configurations.js';

/** Meta-batches in the pool, cycled over the steps (the peer's 2). */
export const POOL_META_BATCHES = 2;

/**
 * `count` meta-batches of `problem.metaBatch` episodes each.
 * - sinusoid: `y = A sin(x - phi)`, `A ~ U[0.1, 5]`, `phi ~ U[0, pi]`, `x ~ U[-5, 5]` (the peer's
 *   and MAML's ranges); `support.x, support.y, query.x, query.y: float32 [10, 1]`;
 * - omniglot: 5 Gaussian class clusters in pixel space, `support.x: float32 [5, 28, 28, 1]`,
 *   `query.x: float32 [75, 28, 28, 1]`, labels int32 class-major.
 * Batch `b` is seeded by `deriveSeed(seed, 'speed-pool', b)`, so the same seed gives the same data.
 * @param problem - the episode shape and meta-batch size.
 * @param seed - integer seed.
 * @param count - meta-batches (default {@link POOL_META_BATCHES}).
 * @returns `count` arrays of episodes; the caller disposes them (`disposeEpisode`).
 */
export function speedEpisodePool(problem: SpeedProblem, seed: number, count = POOL_META_BATCHES): Episode[][] {
  return Array.from({ length: count }, (_, b) => {
    const batchSeed = deriveSeed(seed, 'speed-pool', b);
    if (problem.kind === 'regression') return sinusoidEpisodes(batchSeed, problem.metaBatch, problem.shots);
    return Array.from({ length: problem.metaBatch }, (_, i) =>
      syntheticEpisode(deriveSeed(batchSeed, i), { kind: problem.kind, ways: problem.ways, shots: problem.shots, queryShots: problem.queryShots, inputShape: problem.inputShape }),
    );
  });
}
