/**
 * N-way K-shot episodes from any class-indexed image dataset (Omniglot, mini-ImageNet, ...).
 *
 * Episode `index` under seed `seed` is a pure function of `(dataset, options, seed, index)`:
 * its generator is `createRng(deriveSeed(seed, 'episode', index))`, so episode 417 of a fixed
 * test seed is the same whether it is drawn first, last or alone (the 600 fixed test episodes).
 * Drawing order from that generator:
 * 1. `ways` distinct classes, uniformly, in random order (the first `ways` steps of a
 *    Fisher-Yates shuffle of `0 .. C-1`); the class drawn `l`-th gets label `l` (labels are
 *    remapped to `0 .. ways-1` per episode, in random order).
 * 2. For each label `l` in turn, `shots + queryShots` distinct examples of its class, the same
 *    way; the first `shots` go to the support set, the rest to the query set (so support and
 *    query never share an example).
 *
 * Layout, class-major: `support.x: float32 [ways * shots, H, W, C]`, `support.y: int32
 * [ways * shots]` = `[0 x shots, 1 x shots, ...]`; `query.x: float32 [ways * queryShots, H, W, C]`,
 * `query.y: int32 [ways * queryShots]` likewise.
 *
 * @see Vinyals et al. 2016 (episodic training); Finn et al. 2017, sec. 5.2; Snell et al. 2017.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError, createRng, deriveSeed, disposeEpisode, type Episode, type EpisodeSource, type Rng } from '@metalearn/core';
import { exampleSize, type ClassIndexedDataset } from './image-dataset.js';

/** The shape of the episodes to draw. */
export interface EpisodeSpec {
  /** N: classes per episode, integer >= 1. */
  readonly ways: number;
  /** K: support examples per class, integer >= 1. */
  readonly shots: number;
  /** Query examples per class, integer >= 1 (MAML's code uses `queryShots = shots`; 15 is common for evaluation). */
  readonly queryShots: number;
  /** Base seed, a safe integer; episode `i` uses `deriveSeed(seed, 'episode', i)`. */
  readonly seed: number;
}

/** A classification episode that also records which classes its labels stand for. */
export interface ImageEpisode extends Episode {
  readonly kind: 'classification';
  /** `classIds[l]` is the dataset class of label `l`. */
  readonly classIds: readonly string[];
}

/** The class and example indices of one episode, before any tensor is made. */
export interface EpisodePlan {
  /** Dataset class index of each label. */
  readonly classes: readonly number[];
  /** Per label: `shots` support example indices. */
  readonly support: readonly (readonly number[])[];
  /** Per label: `queryShots` query example indices. */
  readonly query: readonly (readonly number[])[];
}

function positiveInt(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new MetaLearnError('invalidArgument', `${fn}: ${name} must be an integer >= 1, got ${String(v)}`);
  }
  return v;
}

/**
 * Checks an {@link EpisodeSpec} against a dataset: sizes are positive integers, the dataset has
 * at least `ways` classes, and every class has at least `shots + queryShots` examples (checked
 * for all classes up front, so a bad class fails at once rather than in a rare episode).
 *
 * @param fn - the calling function, for messages.
 * @throws MetaLearnError `invalidArgument` on bad sizes (`ways < 2` included), a bad seed or too few classes;
 *   `notEnoughExamples` naming the first class with fewer than `shots + queryShots` examples.
 */
export function validateEpisodeSpec(fn: string, ds: ClassIndexedDataset, spec: EpisodeSpec): void {
  const ways = positiveInt(fn, 'spec.ways', spec.ways);
  if (ways < 2) throw new MetaLearnError('invalidArgument', `${fn}: spec.ways must be >= 2 (a 1-way episode has nothing to tell apart), got ${ways}`);
  const shots = positiveInt(fn, 'spec.shots', spec.shots);
  const queryShots = positiveInt(fn, 'spec.queryShots', spec.queryShots);
  if (!Number.isSafeInteger(spec.seed)) throw new MetaLearnError('invalidArgument', `${fn}: spec.seed must be a safe integer, got ${String(spec.seed)}`);
  if (ds.classIds.length < ways) {
    throw new MetaLearnError('invalidArgument', `${fn}: spec.ways = ${ways} exceeds the ${ds.classIds.length} classes of ${ds.name}`);
  }
  const need = shots + queryShots;
  for (let c = 0; c < ds.classIds.length; c++) {
    const n = ds.exampleCount(c);
    if (n < need) {
      throw new MetaLearnError('notEnoughExamples', `${fn}: class '${ds.classIds[c]}' of ${ds.name} has ${n} examples, fewer than shots + queryShots = ${shots} + ${queryShots} = ${need}`);
    }
  }
}

/**
 * `k` distinct integers of `[0, n)` in random order: the first `k` steps of a Fisher-Yates
 * shuffle of `0 .. n-1` (`k` draws of `rng.int`, so sampling 5 of 4112 classes costs 5 draws).
 */
function sampleIndices(rng: Rng, n: number, k: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a.slice(0, k);
}

/** {@link planEpisode} without validation (the spec was validated by the caller). */
function planValidated(ds: ClassIndexedDataset, spec: EpisodeSpec, index: number, fn: string): EpisodePlan {
  if (!Number.isSafeInteger(index) || index < 0) throw new MetaLearnError('invalidArgument', `${fn}: index must be a non-negative safe integer, got ${index}`);
  const rng = createRng(deriveSeed(spec.seed, 'episode', index));
  const classes = sampleIndices(rng, ds.classIds.length, spec.ways);
  const support: number[][] = [];
  const query: number[][] = [];
  for (const c of classes) {
    const picked = sampleIndices(rng, ds.exampleCount(c), spec.shots + spec.queryShots);
    support.push(picked.slice(0, spec.shots));
    query.push(picked.slice(spec.shots));
  }
  return { classes, support, query };
}

/**
 * The classes and examples of episode `index` (no tensors; see the module documentation for the
 * drawing order).
 * @param index - episode index, a non-negative safe integer.
 * @throws MetaLearnError as {@link validateEpisodeSpec}; `invalidArgument` on a bad index.
 */
export function planEpisode(ds: ClassIndexedDataset, spec: EpisodeSpec, index: number): EpisodePlan {
  validateEpisodeSpec('planEpisode', ds, spec);
  return planValidated(ds, spec, index, 'planEpisode');
}

/**
 * Builds the tensors of a planned episode (the caller owns them: `disposeEpisode(e)`).
 * @returns an {@link ImageEpisode}; see the module documentation for the layout.
 */
export function episodeFromPlan(ds: ClassIndexedDataset, spec: EpisodeSpec, plan: EpisodePlan): ImageEpisode {
  const size = exampleSize(ds.exampleShape);
  // Fill every array first, then make the four tensors (nothing to clean up if a read throws).
  const fill = (perLabel: readonly (readonly number[])[], k: number) => {
    const n = plan.classes.length * k;
    const x = new Float32Array(n * size);
    const y = new Int32Array(n);
    let row = 0;
    for (const [label, examples] of perLabel.entries()) {
      for (const e of examples) {
        ds.writeExample(plan.classes[label]!, e, x, row * size);
        y[row++] = label;
      }
    }
    return { n, x, y };
  };
  const s = fill(plan.support, spec.shots);
  const q = fill(plan.query, spec.queryShots);
  return {
    kind: 'classification',
    ways: spec.ways,
    shots: spec.shots,
    queryShots: spec.queryShots,
    support: { x: tf.tensor4d(s.x, [s.n, ...ds.exampleShape], 'float32'), y: tf.tensor1d(s.y, 'int32') },
    query: { x: tf.tensor4d(q.x, [q.n, ...ds.exampleShape], 'float32'), y: tf.tensor1d(q.y, 'int32') },
    classIds: plan.classes.map((c) => ds.classIds[c]!),
  };
}

/**
 * Episode `index` of the stream defined by `spec` (deterministic in `spec.seed` and `index`).
 *
 * @param ds - any class-indexed dataset.
 * @param spec - ways, shots, queryShots, seed.
 * @param index - episode index >= 0.
 * @returns a new episode; the caller disposes its tensors (`disposeEpisode` from core).
 * @throws MetaLearnError `notEnoughExamples` naming a class with fewer than
 *   `shots + queryShots` examples; `invalidArgument` on bad sizes, seed or index.
 * @example
 * const e = sampleEpisode(omniglotTest, { ways: 5, shots: 1, queryShots: 15, seed: 7 }, 0);
 * // e.support.x: float32 [5, 28, 28, 1], e.query.y: int32 [75]
 * disposeEpisode(e);
 */
export function sampleEpisode(ds: ClassIndexedDataset, spec: EpisodeSpec, index: number): ImageEpisode {
  return episodeFromPlan(ds, spec, planEpisode(ds, spec, index));
}

/**
 * Meta-batch `batchIndex` of size `metaBatchSize`: episodes `batchIndex * metaBatchSize + j`,
 * `j = 0 .. metaBatchSize-1`, of the same stream as {@link sampleEpisode} (so meta-batches
 * partition the episode stream; changing `metaBatchSize` regroups the same episodes).
 *
 * @returns `metaBatchSize` new episodes; the caller disposes them.
 * @throws MetaLearnError as {@link sampleEpisode}; `invalidArgument` on a bad batch index or size.
 */
export function sampleMetaBatch(ds: ClassIndexedDataset, spec: EpisodeSpec, batchIndex: number, metaBatchSize: number): ImageEpisode[] {
  validateEpisodeSpec('sampleMetaBatch', ds, spec);
  return metaBatchValidated('sampleMetaBatch', ds, spec, batchIndex, metaBatchSize);
}

/** {@link sampleMetaBatch} for an already validated spec; `fn` names the caller in errors. */
function metaBatchValidated(fn: string, ds: ClassIndexedDataset, spec: EpisodeSpec, batchIndex: number, metaBatchSize: number): ImageEpisode[] {
  positiveInt(fn, 'metaBatchSize', metaBatchSize);
  if (!Number.isSafeInteger(batchIndex) || batchIndex < 0) throw new MetaLearnError('invalidArgument', `${fn}: batchIndex must be a non-negative safe integer, got ${batchIndex}`);
  const out: ImageEpisode[] = [];
  try {
    for (let j = 0; j < metaBatchSize; j++) out.push(episodeFromPlan(ds, spec, planValidated(ds, spec, batchIndex * metaBatchSize + j, fn)));
  } catch (e) {
    out.forEach(disposeEpisode);
    throw e;
  }
  return out;
}

/** An {@link EpisodeSource} whose episodes record the class id of each label. */
export interface ImageEpisodeSource extends EpisodeSource {
  readonly kind: 'classification';
  episode(index: number): ImageEpisode;
  metaBatch(batchIndex: number, metaBatchSize: number): ImageEpisode[];
}

/**
 * An {@link EpisodeSource} over a class-indexed dataset (validated once, here): episode `i` is
 * {@link sampleEpisode}`(ds, spec, i)`.
 * @throws MetaLearnError as {@link validateEpisodeSpec}.
 * @example
 * const test = createEpisodeSampler(await loadOmniglot({ split: 'test' }), { ways: 20, shots: 1, queryShots: 15, seed: 600 });
 * for (let i = 0; i < 600; i++) { const e = test.episode(i); ...; disposeEpisode(e); } // the same 600 every run
 */
export function createEpisodeSampler(ds: ClassIndexedDataset, spec: EpisodeSpec): ImageEpisodeSource {
  validateEpisodeSpec('createEpisodeSampler', ds, spec);
  const frozen = { ...spec };
  return {
    name: ds.name,
    kind: 'classification',
    inputShape: ds.exampleShape,
    ways: frozen.ways,
    shots: frozen.shots,
    queryShots: frozen.queryShots,
    episode: (index) => episodeFromPlan(ds, frozen, planValidated(ds, frozen, index, `${ds.name} episode`)),
    metaBatch: (batchIndex, metaBatchSize) => metaBatchValidated(`${ds.name} metaBatch`, ds, frozen, batchIndex, metaBatchSize),
  };
}
