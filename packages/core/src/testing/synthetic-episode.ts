/**
 * Small synthetic tasks for conformance tests: any input shape, classification or regression,
 * deterministic in a seed.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Episode, TaskKind } from '../episode.js';
import { MetaLearnError } from '../errors.js';
import { createRng, type Rng } from '../random.js';

/** What {@link syntheticEpisode} builds. */
export interface SyntheticEpisodeSpec {
  readonly kind: TaskKind;
  /** Classification: classes N; regression: output dimension. */
  readonly ways: number;
  /** Support examples per class (regression: support points = shots). */
  readonly shots: number;
  /** Query examples per class (regression: query points = queryShots). */
  readonly queryShots: number;
  /** Shape of one example, e.g. `[4]` or `[8, 8, 1]`. */
  readonly inputShape: readonly number[];
}

/**
 * A random task.
 * - classification: class means `mu_c ~ N(0, I)` in the input space, examples `x = mu_c + 0.5 eps`,
 *   `eps ~ N(0, I)`; labels int32, class-major (`[0,..,0, 1,..,1, ...]`), `ways * shots` support and
 *   `ways * queryShots` query examples;
 * - regression: `x ~ U(-2, 2)^D`, targets `y_j = A_j sin(a_j . x / sqrt(D) + b_j)` with
 *   `A_j ~ U(0.5, 2)`, `a_j ~ N(0, I)`, `b_j ~ U(0, pi)`; `y: float32 [N, ways]`.
 * @param seed - integer seed: the same seed gives bitwise-equal tensors.
 * @param spec - kind, sizes and example shape.
 * @returns an {@link Episode} (the caller disposes it, e.g. with `disposeEpisode`).
 * @throws MetaLearnError `invalidArgument` on non-positive sizes.
 */
export function syntheticEpisode(seed: number, spec: SyntheticEpisodeSpec): Episode {
  const { kind, ways, shots, queryShots, inputShape } = spec;
  for (const [k, v] of [['ways', ways], ['shots', shots], ['queryShots', queryShots]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new MetaLearnError('invalidArgument', `syntheticEpisode: spec.${k} must be an integer >= 1, got ${v}`);
  }
  const D = inputShape.reduce((a, b) => a * b, 1);
  const rng = createRng(seed);
  if (kind === 'classification') {
    const means = Array.from({ length: ways }, () => Array.from({ length: D }, () => rng.normal()));
    const set = (perClass: number) => {
      const xs = new Float32Array(ways * perClass * D);
      const ys = new Int32Array(ways * perClass);
      let i = 0;
      for (let c = 0; c < ways; c++) {
        for (let s = 0; s < perClass; s++, i++) {
          ys[i] = c;
          for (let d = 0; d < D; d++) xs[i * D + d] = means[c]![d]! + 0.5 * rng.normal();
        }
      }
      return { x: tf.tensor(xs, [ways * perClass, ...inputShape], 'float32'), y: tf.tensor1d(ys, 'int32') };
    };
    return { kind, ways, shots, queryShots, support: set(shots), query: set(queryShots) };
  }
  const amp = Array.from({ length: ways }, () => rng.uniform(0.5, 2));
  const dir = Array.from({ length: ways }, () => Array.from({ length: D }, () => rng.normal()));
  const phase = Array.from({ length: ways }, () => rng.uniform(0, Math.PI));
  const set = (n: number, r: Rng) => {
    const xs = new Float32Array(n * D);
    const ys = new Float32Array(n * ways);
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < D; d++) xs[i * D + d] = r.uniform(-2, 2);
      for (let j = 0; j < ways; j++) {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += dir[j]![d]! * xs[i * D + d]!;
        ys[i * ways + j] = amp[j]! * Math.sin(dot / Math.sqrt(D) + phase[j]!);
      }
    }
    return { x: tf.tensor(xs, [n, ...inputShape], 'float32'), y: tf.tensor2d(ys, [n, ways], 'float32') };
  };
  return { kind, ways, shots, queryShots, support: set(shots, rng), query: set(queryShots, rng) };
}
