/**
 * The conformance suite of learners: any {@link Learner} (core's backprop learner over any
 * solver, Reptile, a third party's) runs it to prove output shapes, determinism under a seed,
 * exact checkpoints, no leaked tensors, meta-updates reaching every meta-parameter, and (for a
 * plain-SGD outer update) agreement of the applied meta-gradient with finite differences.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../engine/backend.js';
import { disposeEpisode, type Episode } from '../episode.js';
import { MetaLearnError } from '../errors.js';
import type { Learner, LearnerState, MetaGradient, MetaTrainMetrics } from '../learner.js';
import { paramNames } from '../params.js';
import { createRng, deriveSeed } from '../random.js';
import { forEachBackend } from './backends.js';
import { syntheticEpisode, type SyntheticEpisodeSpec } from './synthetic-episode.js';

/**
 * Finite-difference check of a learner whose outer update is plain SGD with a constant rate
 * `outerLr` and whose reported `loss` is its meta-objective (no multi-step loss weights, no
 * regulariser): the applied meta-gradient `g = -(theta' - theta) / outerLr` must match central
 * differences of the reported loss, `(J(theta + h u) - J(theta - h u)) / 2h`, along unit
 * directions `u`; `J` at a point is read by loading a checkpoint whose parameter tensors are
 * moved (keys from `stateKey`) and taking one meta-step. `outerLr = 1` is the most accurate
 * (float32 `theta' - theta` then holds `g` to ~1e-7).
 */
export interface LearnerFiniteDifferenceOptions {
  readonly outerLr: number;
  /** Key in `state().tensors` of meta-parameter `name`; default `params/${name}` (core's `createLearner`). */
  readonly stateKey?: (name: string) => string;
  /** Default 1e-2. */
  readonly step?: number;
  /** Default 1e-2. */
  readonly rtol?: number;
  /** Default 1e-3. */
  readonly atol?: number;
  /** Random directions over all meta-parameters, besides one per parameter tensor; default 1. */
  readonly directions?: number;
}

/** Options of {@link describeLearnerConformance}. */
export interface LearnerConformanceOptions {
  /** A fresh learner, deterministic in `seed`. The suite disposes it. */
  readonly createLearner: (seed: number) => Learner;
  /**
   * `count` episodes, deterministic in `seed`, all of the learner's task family; the suite
   * disposes them. {@link syntheticEpisodes} builds small random ones.
   */
  readonly episodes: (seed: number, count: number) => Episode[];
  /** Tasks per meta-training step; default 2. */
  readonly metaBatchSize?: number;
  /** Meta-steps of the leak test; default 20. */
  readonly metaSteps?: number;
  /** Seed; default 0. */
  readonly seed?: number;
  /** Names in `learner.params` the learner is documented not to update (e.g. `/^head\//`). */
  readonly unusedParams?: RegExp;
  /** Enables the finite-difference property (see {@link LearnerFiniteDifferenceOptions}); skipped otherwise. */
  readonly finiteDifference?: LearnerFiniteDifferenceOptions;
  /** Backends; default every one available here. */
  readonly backends?: readonly BackendName[];
}

/**
 * An `episodes` factory of {@link syntheticEpisode}s: episode `i` of `seed` from `deriveSeed(seed, i)`.
 * @param spec - kind, ways, shots, query shots and example shape.
 */
export function syntheticEpisodes(spec: SyntheticEpisodeSpec): (seed: number, count: number) => Episode[] {
  return (seed, count) => Array.from({ length: count }, (_, i) => syntheticEpisode(deriveSeed(seed, 'episode', i), spec));
}

interface Resolved {
  readonly o: LearnerConformanceOptions;
  readonly seed: number;
  readonly batch: number;
  readonly metaSteps: number;
  readonly unused: (name: string) => boolean;
}

function withEpisodes<T>(r: Resolved, seed: number, count: number, fn: (eps: Episode[]) => T): T {
  const eps = r.o.episodes(seed, count);
  try {
    return fn(eps);
  } finally {
    eps.forEach(disposeEpisode);
  }
}

function withLearner<T>(r: Resolved, seed: number, fn: (l: Learner) => T): T {
  const l = r.o.createLearner(seed);
  try {
    return fn(l);
  } finally {
    l.dispose();
  }
}

function snapshot(l: Learner): Record<string, number[]> {
  const p = l.params;
  return Object.fromEntries(paramNames(p).map((n) => [n, Array.from(p[n]!.dataSync())]));
}

async function shapesProperty(t: TestContext, r: Resolved): Promise<void> {
  withLearner(r, r.seed, (l) => withEpisodes(r, r.seed, r.batch + 1, (eps) => {
    const ep = eps[r.batch]!;
    const nq = ep.query.x.shape[0]!;
    const m1 = l.metaTrainStep(eps.slice(0, r.batch));
    const m2 = l.metaTrainStep(eps.slice(0, r.batch));
    assert.equal(m1.step, 1, 'metaTrainStep reports step 1 after the first step');
    assert.equal(m2.step, 2);
    for (const m of [m1, m2]) {
      assert.ok(Number.isFinite(m.loss), `meta-training loss must be finite, got ${m.loss}`);
      if (ep.kind === 'classification') assert.ok(m.accuracy !== undefined && m.accuracy >= 0 && m.accuracy <= 1, `accuracy in [0, 1], got ${m.accuracy}`);
    }
    const start = tf.memory().numTensors;
    tf.tidy(() => {
      const y = l.adapt(ep.support, { kind: ep.kind, ways: ep.ways }).predict(ep.query.x);
      assert.deepEqual(y.shape, [nq, ep.ways], `adapt().predict(query.x) must be [${nq}, ${ep.ways}], got [${y.shape.join(', ')}]`);
      assert.equal(y.dtype, 'float32');
      assert.ok(Array.from(y.dataSync()).every(Number.isFinite));
    });
    assert.equal(tf.memory().numTensors, start, 'adapt + predict inside tf.tidy leave no tensor');
    const s = l.evaluate(ep);
    assert.ok(Number.isFinite(s.loss), `evaluate: finite loss, got ${s.loss}`);
    if (ep.kind === 'classification') assert.ok(s.accuracy !== undefined && s.accuracy >= 0 && s.accuracy <= 1);
    assert.equal(tf.memory().numTensors, start, 'evaluate leaves no tensor');
    t.diagnostic(`meta-train loss ${m1.loss.toFixed(4)} -> ${m2.loss.toFixed(4)}; evaluate loss ${s.loss.toFixed(4)}${s.accuracy !== undefined ? `, accuracy ${s.accuracy.toFixed(3)}` : ''}`);
  }));
}

function run(r: Resolved, seed: number, steps: number): { metrics: MetaTrainMetrics[]; params: Record<string, number[]>; evalLoss: number } {
  return withLearner(r, seed, (l) => withEpisodes(r, deriveSeed(r.seed, 'determinism'), steps * r.batch + 1, (eps) => {
    const metrics = Array.from({ length: steps }, (_, k) => l.metaTrainStep(eps.slice(k * r.batch, (k + 1) * r.batch)));
    return { metrics, params: snapshot(l), evalLoss: l.evaluate(eps[steps * r.batch]!).loss };
  }));
}

async function determinismProperty(t: TestContext, r: Resolved): Promise<void> {
  const a = run(r, r.seed, 3);
  const b = run(r, r.seed, 3);
  assert.deepEqual(b.metrics, a.metrics, 'two learners from one seed must report bitwise-equal metrics');
  assert.deepEqual(b.params, a.params, 'and hold bitwise-equal meta-parameters');
  assert.ok(Object.is(a.evalLoss, b.evalLoss), 'and evaluate equally');
  const c = run(r, r.seed + 1, 1);
  assert.notDeepEqual(c.metrics[0], a.metrics[0], `seed ${r.seed + 1} must give other metrics than seed ${r.seed}`);
  t.diagnostic(`losses ${a.metrics.map((m) => m.loss).join(', ')} twice (bitwise)`);
}

async function checkpointProperty(t: TestContext, r: Resolved): Promise<void> {
  withEpisodes(r, deriveSeed(r.seed, 'checkpoint'), 3 * r.batch, (eps) => {
    withLearner(r, r.seed, (a) => withLearner(r, r.seed + 7, (b) => {
      a.metaTrainStep(eps.slice(0, r.batch));
      a.metaTrainStep(eps.slice(r.batch, 2 * r.batch));
      const state = JSON.parse(JSON.stringify(a.state())) as LearnerState;
      b.load(state);
      assert.deepEqual(snapshot(b), snapshot(a), 'a loaded checkpoint restores the meta-parameters bitwise');
      const ma = a.metaTrainStep(eps.slice(2 * r.batch));
      const mb = b.metaTrainStep(eps.slice(2 * r.batch));
      assert.deepEqual(mb, ma, 'and the next meta-step (optimizer state, step counter) continues bitwise-equal');
      assert.deepEqual(snapshot(b), snapshot(a));
      t.diagnostic(`checkpoint: ${Object.keys(state.tensors).length} tensors through JSON, step ${state.step}; next step loss ${ma.loss} on both`);
    }));
  });
}

async function leakProperty(t: TestContext, r: Resolved): Promise<void> {
  const start = tf.memory().numTensors;
  const counts: number[] = [];
  const losses: number[] = [];
  withLearner(r, r.seed, (l) => {
    for (let k = 0; k < r.metaSteps; k++) {
      withEpisodes(r, deriveSeed(r.seed, 'leak', k), r.batch, (eps) => losses.push(l.metaTrainStep(eps).loss));
      counts.push(tf.memory().numTensors);
    }
    withEpisodes(r, deriveSeed(r.seed, 'leak', 'eval'), 1, (eps) => {
      const before = tf.memory().numTensors;
      l.evaluate(eps[0]!);
      tf.tidy(() => {
        l.adapt(eps[0]!.support, { kind: eps[0]!.kind, ways: eps[0]!.ways }).predict(eps[0]!.query.x);
      });
      assert.equal(tf.memory().numTensors, before, 'evaluate and adapt (in tf.tidy) leave no tensor');
    });
  });
  assert.ok(losses.every(Number.isFinite), `every loss finite: ${losses.join(', ')}`);
  assert.ok(counts.every((c) => c === counts[0]), `tensor count constant across meta-steps: ${counts.join(', ')}`);
  assert.equal(tf.memory().numTensors, start, 'after dispose() the tensor count is back to its start');
  t.diagnostic(`${r.metaSteps} meta-steps: ${counts[0]} tensors throughout, ${start} before creation and after dispose; loss ${losses[0]?.toFixed(4)} -> ${losses.at(-1)?.toFixed(4)}`);
}

async function reachProperty(t: TestContext, r: Resolved): Promise<void> {
  withLearner(r, r.seed, (l) => withEpisodes(r, deriveSeed(r.seed, 'reach'), r.batch, (eps) => {
    const before = snapshot(l);
    l.metaTrainStep(eps);
    const after = snapshot(l);
    const exempt: string[] = [];
    for (const n of Object.keys(before)) {
      assert.ok(after[n]!.every(Number.isFinite), `meta-parameter '${n}' must stay finite`);
      if (r.unused(n)) {
        exempt.push(n);
        continue;
      }
      assert.ok(after[n]!.some((v, i) => v !== before[n]![i]), `one meta-step must change '${n}' (the meta-update does not reach it; declare it in unusedParams if that is by design)`);
    }
    assert.ok(Object.keys(before).length > 0, 'the learner has meta-parameters');
    t.diagnostic(`${Object.keys(before).length - exempt.length} meta-parameters updated${exempt.length ? `; exempt: ${exempt.join(', ')}` : ''}`);
  }));
}

function maxAbs(xs: Iterable<number>): number {
  let m = 0;
  for (const x of xs) m = Math.max(m, Math.abs(x));
  return m;
}

/** Element-wise sum of the parts' `sums` per name (float64). */
function sumParts(parts: readonly MetaGradient[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const p of parts) for (const [n, a] of Object.entries(p.sums)) out[n] = Array.from(a, (v, i) => (out[n]?.[i] ?? 0) + v);
  return out;
}

async function splitProperty(t: TestContext, r: Resolved): Promise<void> {
  const tol = 1e-5;
  withEpisodes(r, deriveSeed(r.seed, 'split'), 3, (eps) => withLearner(r, r.seed, (a) => withLearner(r, r.seed, (b) => withLearner(r, r.seed + 3, (c) => {
    // metaTrainStep = applyMetaGradient([metaGradient(tasks)]), bitwise.
    const whole = b.metaGradient(eps);
    assert.equal(whole.tasks, 3);
    assert.equal(whole.losses.length, 3);
    assert.deepEqual(Object.keys(whole.sums).sort(), paramNames(b.params), 'metaGradient has one array per meta-parameter');
    for (const n of paramNames(b.params)) assert.equal(whole.sums[n]!.length, b.params[n]!.size, `sums['${n}'] holds the parameter's ${b.params[n]!.size} values`);
    // A split 1 + 2 (the second part told its first task's index) sums to the whole, to float32 rounding.
    const parts = [b.metaGradient(eps.slice(0, 1)), b.metaGradient(eps.slice(1), { firstTask: 1 })];
    const split = sumParts(parts);
    const scale = maxAbs(Object.values(whole.sums).flatMap((x) => Array.from(x)));
    const err = maxAbs(Object.keys(split).flatMap((n) => split[n]!.map((v, i) => v - whole.sums[n]![i]!)));
    assert.ok(scale > 0, 'the meta-gradient is not zero');
    assert.ok(err <= tol * scale, `parts 1 + 2 sum to the whole meta-gradient: max error ${err} > ${tol} * max |g| = ${tol * scale}`);
    assert.deepEqual([...parts[0]!.losses, ...parts[1]!.losses].map((l, i) => Math.abs(l - whole.losses[i]!) <= 1e-5 * Math.max(1, Math.abs(l))), [true, true, true], 'per-task losses agree');
    // Bad parts throw and change nothing.
    const before = snapshot(b);
    assert.throws(() => b.applyMetaGradient([]), (e) => MetaLearnError.is(e, 'invalidArgument') && /parts/.test(e.message));
    const first = paramNames(b.params)[0]!;
    assert.throws(() => b.applyMetaGradient([{ ...whole, sums: { ...whole.sums, [first]: new Float32Array(1 + whole.sums[first]!.length) } }]), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message.includes(first));
    assert.deepEqual(snapshot(b), before, 'a refused applyMetaGradient leaves the meta-parameters unchanged');
    const ma = a.metaTrainStep(eps);
    const mb = b.applyMetaGradient([whole]);
    assert.deepEqual(mb, ma, 'applyMetaGradient([metaGradient(tasks)]) reports what metaTrainStep(tasks) does');
    assert.deepEqual(snapshot(b), snapshot(a), 'and updates the meta-parameters bitwise-equally');
    // exportParams/importParams put another learner (another seed) at the same point.
    const snap = a.exportParams();
    assert.equal(snap.step, 1);
    c.importParams(snap);
    assert.deepEqual(snapshot(c), snapshot(a), 'importParams sets the meta-parameters bitwise');
    const ga = a.metaGradient(eps.slice(1), { firstTask: 1 });
    const gc = c.metaGradient(eps.slice(1), { firstTask: 1 });
    assert.deepEqual(gc, ga, 'and the next meta-gradient is bitwise equal');
    assert.throws(() => c.importParams({ ...snap, values: { ...snap.values, [first]: new Float32Array(0) } }), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message.includes(first));
    t.diagnostic(`split 1 + 2 of 3 tasks: max |Σ parts − whole| = ${err.toExponential(2)} (tolerance ${tol} * max |g| = ${(tol * scale).toExponential(2)})`);
  }))));
}

async function finiteDifferenceProperty(t: TestContext, r: Resolved, fd: LearnerFiniteDifferenceOptions): Promise<void> {
  const h = fd.step ?? 1e-2;
  const rtol = fd.rtol ?? 1e-2;
  const atol = fd.atol ?? 1e-3;
  const key = fd.stateKey ?? ((n: string) => `params/${n}`);
  const rng = createRng(deriveSeed(r.seed, 'fd-directions'));
  const lines: string[] = [];
  const bad: string[] = [];
  withLearner(r, r.seed, (l) => withEpisodes(r, deriveSeed(r.seed, 'fd'), r.batch, (eps) => {
    const s0 = l.state();
    const theta = snapshot(l);
    const names = Object.keys(theta).filter((n) => !r.unused(n));
    for (const n of names) assert.ok(s0.tensors[key(n)] !== undefined, `finiteDifference: state().tensors has no '${key(n)}' for meta-parameter '${n}' (set stateKey)`);
    l.metaTrainStep(eps);
    const after = snapshot(l);
    const g: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, theta[n]!.map((v, i) => -(after[n]![i]! - v) / fd.outerLr)]));
    const lossAt = (u: Record<string, number[]>, sign: number): number => {
      const tensors = { ...s0.tensors };
      for (const n of names) tensors[key(n)] = { shape: s0.tensors[key(n)]!.shape, values: theta[n]!.map((v, i) => Math.fround(v + sign * h * u[n]![i]!)) };
      l.load({ ...s0, tensors });
      return l.metaTrainStep(eps).loss;
    };
    const directions: Array<[string, (n: string) => boolean]> = names.map((n) => [n, (m: string) => m === n]);
    for (let k = 0; k < (fd.directions ?? 1); k++) directions.push([`all#${k}`, () => true]);
    for (const [label, only] of directions) {
      const u: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, theta[n]!.map(() => (only(n) ? rng.normal() : 0))]));
      const norm = Math.sqrt(names.reduce((s, n) => s + u[n]!.reduce((a, v) => a + v * v, 0), 0)) || 1;
      for (const n of names) u[n] = u[n]!.map((v) => v / norm);
      const analytic = names.reduce((s, n) => s + g[n]!.reduce((a, v, i) => a + v * u[n]![i]!, 0), 0);
      const numeric = (lossAt(u, 1) - lossAt(u, -1)) / (2 * h);
      const err = Math.abs(numeric - analytic);
      const tol = atol + rtol * Math.max(Math.abs(numeric), Math.abs(analytic));
      lines.push(`${label}: applied ${analytic.toExponential(5)}, finite difference ${numeric.toExponential(5)}, error ${err.toExponential(2)} (tolerance ${tol.toExponential(2)})`);
      if (!(err <= tol)) bad.push(`${label} (applied ${analytic}, numeric ${numeric})`);
    }
  }));
  for (const line of lines) t.diagnostic(line);
  assert.equal(bad.length, 0, `the applied meta-gradient disagrees with finite differences of the meta-loss along: ${bad.join('; ')}`);
}

/**
 * Registers the learner conformance suite as one node:test test with subtests
 * `backend > property`, on every available backend:
 * 1. **shapes**: `metaTrainStep` reports finite loss (accuracy in [0, 1]) and counts steps;
 *    `adapt(support).predict(query.x)` is float32 `[N_q, ways]`; `evaluate` is finite; neither leaks;
 * 2. **determinism**: two learners from one seed on the same episodes report bitwise-equal metrics
 *    and hold bitwise-equal meta-parameters (another seed differs);
 * 3. **checkpoints**: `state()` through JSON into another learner restores the meta-parameters
 *    bitwise, and the next meta-step matches bitwise (optimizer moments and step restored);
 * 4. **no leaked tensors**: `tf.memory().numTensors` constant over `metaSteps` (20) meta-steps and
 *    back to its start after `dispose()`;
 * 5. **meta-updates reach every meta-parameter**: one meta-step changes every tensor of
 *    `learner.params` (except `unusedParams`) and keeps it finite;
 * 6. **split meta-step**: `metaGradient` of tasks 0 and 1..2 (with `firstTask: 1`) sum to the
 *    meta-gradient of all 3 within `1e-5 · max |g|` (float32 rounding); `applyMetaGradient([metaGradient(tasks)])`
 *    equals `metaTrainStep(tasks)` bitwise; bad parts throw and change nothing; `importParams(exportParams())`
 *    puts a learner of another seed at the same point (next meta-gradient bitwise equal);
 * 7. **finite differences** (with `finiteDifference`): the applied SGD meta-gradient agrees with
 *    central differences of the meta-loss.
 * @param name - the learner's name in the report.
 * @param options - see {@link LearnerConformanceOptions}.
 * @example
 * describeLearnerConformance('maml', {
 *   createLearner: (seed) => createLearner({ backbone, head, solver, task, seed, outerLr: 1, optimizer: 'sgd' }),
 *   episodes: syntheticEpisodes({ kind: 'classification', ways: 3, shots: 2, queryShots: 3, inputShape: [4] }),
 *   finiteDifference: { outerLr: 1 },
 * });
 */
export function describeLearnerConformance(name: string, options: LearnerConformanceOptions): void {
  const r: Resolved = {
    o: options,
    seed: options.seed ?? 0,
    batch: options.metaBatchSize ?? 2,
    metaSteps: options.metaSteps ?? 20,
    unused: (n) => options.unusedParams?.test(n) ?? false,
  };
  test(`${name}: learner conformance`, async (t) => {
    await forEachBackend(t, options.backends, async (tb) => {
      await tb.test('metaTrainStep / adapt().predict / evaluate give finite values of the right shapes and leak nothing', (x) => shapesProperty(x, r));
      await tb.test('determinism: one seed, bitwise-equal metrics and meta-parameters', (x) => determinismProperty(x, r));
      await tb.test('checkpoints: state() -> JSON -> load() continues bitwise-equal', (x) => checkpointProperty(x, r));
      await tb.test(`no leaked tensors over ${r.metaSteps} meta-steps, none after dispose()`, (x) => leakProperty(x, r));
      await tb.test('one meta-step updates every meta-parameter (finite)', (x) => reachProperty(x, r));
      await tb.test('metaGradient parts sum to the whole; applyMetaGradient([metaGradient]) = metaTrainStep; exportParams/importParams', (x) => splitProperty(x, r));
      const fd = options.finiteDifference;
      await tb.test(
        'the applied meta-gradient agrees with central finite differences of the meta-loss',
        fd === undefined ? { skip: 'no finiteDifference option (needs a plain-SGD outer update)' } : {},
        (x) => finiteDifferenceProperty(x, r, fd!),
      );
    });
  });
}
