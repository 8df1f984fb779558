/**
 * The conformance suite of inner solvers: any {@link InnerSolver}, first- or third-party, runs it
 * to prove output shapes, determinism under a seed, no leaked tensors, a meta-gradient that
 * reaches every meta-parameter, and agreement of that meta-gradient with finite differences.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from '../backbone.js';
import type { BackendName } from '../engine/backend.js';
import { disposeEpisode, type Episode } from '../episode.js';
import type { Head } from '../head.js';
import type { InnerSolver, TaskSpec } from '../inner-solver.js';
import { createMlp } from '../backbones/mlp.js';
import { createLinearHead } from '../heads/linear.js';
import { initModel } from '../model.js';
import { disposeParams, paramNames, subParams, type Params } from '../params.js';
import { createRng, deriveSeed } from '../random.js';
import { forEachBackend } from './backends.js';
import { checkDirectionalDerivative, randomDirection } from './finite-difference.js';
import { adaptationLoss, joinMetaParams, metaValueAndGrads, solverMetaLoss, type SolverProblem } from './meta-gradient.js';
import { syntheticEpisode } from './synthetic-episode.js';

/** Finite-difference settings: step `h` along unit directions, pass when `|fd - g.u| <= atol + rtol max(|fd|, |g.u|)`. */
export interface FiniteDifferenceOptions {
  /**
   * Default 1e-2 (float32: rounding error ~ 1e-7 |L| / h, truncation ~ h^2 |L'''| / 6). With a
   * piecewise-smooth backbone (ReLU, max pooling) a step can cross a kink: use a smooth activation,
   * and 1e-3 for max-pooled backbones.
   */
  readonly step?: number;
  /** Default 1e-2. */
  readonly rtol?: number;
  /** Default 1e-3. */
  readonly atol?: number;
  /** Random directions over all meta-parameters at once, besides one per parameter tensor; default 2. */
  readonly directions?: number;
}

/** Options of {@link describeSolverConformance}. */
export interface SolverConformanceOptions {
  /** Builds the solver under test (called once per run: a fresh solver each time). */
  readonly createSolver: () => InnerSolver;
  /** Task families to test; default `[{ kind: 'classification', ways: 3 }]`. */
  readonly tasks?: readonly TaskSpec[];
  /** Support examples per class (regression: points); default 2. */
  readonly shots?: number;
  /** Query examples per class (regression: points); default 3. */
  readonly queryShots?: number;
  /**
   * The backbone; default a small smooth MLP: `createMlp({ inputDim: 4, hiddenSizes: [6],
   * activation: 'tanh', weightStd: 0.5 })` (twice continuously differentiable, as finite
   * differences need).
   */
  readonly createBackbone?: () => Backbone;
  /** The head; default `createLinearHead({ init: 'glorotUniform' })`. */
  readonly createHead?: () => Head;
  /** Seed of parameters and episodes; default 0. */
  readonly seed?: number;
  /** Meta-steps of the leak test (plain SGD on the meta-gradient); default 20. */
  readonly metaSteps?: number;
  /** Step size of those meta-steps; default 0.05. */
  readonly outerLr?: number;
  /**
   * Meta-parameters the solver is documented not to use (full names `theta/backbone/...`,
   * `theta/head/...`, `solver/...`), exempt from "the meta-gradient reaches every meta-parameter";
   * e.g. `/^theta\/head\//` for a solver that replaces the head (R2-D2, MetaOptNet).
   */
  readonly unusedParams?: RegExp;
  /**
   * `'exact'` (default): the meta-gradient is the exact derivative of the meta-loss and must
   * match finite differences. `'approximate'` (first-order MAML, Reptile-style, finite-difference
   * Hessian-vector products, truncated CG): the finite-difference property is skipped, with the
   * reason shown.
   */
  readonly gradient?: 'exact' | 'approximate';
  readonly finiteDifference?: FiniteDifferenceOptions;
  /** Backends; default every one available here (cpu, wasm; tensorflow where installed). */
  readonly backends?: readonly BackendName[];
}

interface Resolved {
  readonly createSolver: () => InnerSolver;
  readonly createBackbone: () => Backbone;
  readonly createHead: () => Head;
  readonly shots: number;
  readonly queryShots: number;
  readonly seed: number;
  readonly metaSteps: number;
  readonly outerLr: number;
  readonly unused: (name: string) => boolean;
}

/** One fresh problem: parts, meta-parameters, an episode. The caller disposes `meta` and `episode`. */
interface Setup {
  readonly solver: InnerSolver;
  readonly backbone: Backbone;
  readonly head: Head;
  readonly meta: Params;
  readonly episode: Episode;
}

function makeEpisode(r: Resolved, backbone: Backbone, task: TaskSpec, seed: number): Episode {
  return syntheticEpisode(seed, { kind: task.kind, ways: task.ways, shots: r.shots, queryShots: r.queryShots, inputShape: backbone.inputShape });
}

function setup(r: Resolved, task: TaskSpec, seed: number): Setup {
  const solver = r.createSolver();
  const backbone = r.createBackbone();
  const head = r.createHead();
  const theta = initModel(backbone, head, deriveSeed(seed, 'theta'), task.ways);
  const solverParams = solver.initParams(deriveSeed(seed, 'solver'), theta, task);
  const meta = joinMetaParams(theta, solverParams);
  return { solver, backbone, head, meta, episode: makeEpisode(r, backbone, task, deriveSeed(seed, 'episode')) };
}

function problem(s: Setup, task: TaskSpec, episode: Episode = s.episode, metaStep?: number): SolverProblem {
  return { solver: s.solver, backbone: s.backbone, head: s.head, task, support: episode.support, query: episode.query, metaTraining: true, ...(metaStep !== undefined && { metaStep }) };
}

function teardown(s: Setup): void {
  disposeParams(s.meta);
  disposeEpisode(s.episode);
}

function taskLabel(task: TaskSpec): string {
  return `${task.kind} (ways ${task.ways})`;
}

/** Loss and gradient values as plain arrays, for bitwise comparison. */
function lossAndGradValues(s: Setup, task: TaskSpec): { loss: number; grads: Record<string, number[] | null> } {
  const out: Record<string, number[] | null> = {};
  let loss = NaN;
  tf.tidy(() => {
    const { value, grads } = metaValueAndGrads((m) => solverMetaLoss(problem(s, task), m), s.meta);
    for (const [n, g] of Object.entries(grads)) out[n] = g === null ? null : Array.from(g.dataSync());
    loss = value.dataSync()[0]!;
  });
  return { loss, grads: out };
}

async function shapesProperty(t: TestContext, r: Resolved, task: TaskSpec): Promise<void> {
  const s = setup(r, task, r.seed);
  try {
    const { support, query } = s.episode;
    const nq = query.x.shape[0]!;
    const before = paramNames(s.meta).map((n) => Array.from(s.meta[n]!.dataSync()));
    const start = tf.memory().numTensors;
    tf.tidy(() => {
      const adaptation = s.solver.adapt({
        backbone: s.backbone, head: s.head, theta: subParams('theta', s.meta), solverParams: subParams('solver', s.meta),
        support, task, metaTraining: true, metaStep: 0,
      });
      const y = adaptation.predict(query.x);
      assert.deepEqual(y.shape, [nq, task.ways], `adapt().predict(query.x) must be [N_q = ${nq}, ${task.ways}], got [${y.shape.join(', ')}]`);
      assert.equal(y.dtype, 'float32');
      assert.ok(Array.from(y.dataSync()).every(Number.isFinite), 'predictions must be finite');
      const one = adaptation.predict(tf.slice(query.x, 0, 1));
      assert.deepEqual(one.shape, [1, task.ways], 'predict works on any batch size (here 1)');
      const ySupport = adaptation.predict(support.x);
      assert.deepEqual(ySupport.shape, [support.x.shape[0], task.ways]);
      if (adaptation.fastWeights !== undefined) {
        const theta = subParams('theta', s.meta);
        for (const n of paramNames(adaptation.fastWeights)) {
          const ref = theta[n] ?? s.meta[`solver/${n}`];
          if (ref !== undefined) assert.deepEqual(adaptation.fastWeights[n]!.shape, ref.shape, `fastWeights['${n}'] has the shape of its meta-parameter`);
        }
      }
      if (adaptation.stepPredict !== undefined) {
        const steps = adaptation.stepPredict(query.x);
        assert.ok(steps.length >= 1, 'stepPredict gives at least one step');
        for (const p of steps) assert.deepEqual(p.shape, [nq, task.ways]);
        if (adaptation.queryLossWeights !== undefined) {
          assert.equal(adaptation.queryLossWeights.length, steps.length, 'one query-loss weight per step');
          const sum = adaptation.queryLossWeights.reduce((a, b) => a + b, 0);
          assert.ok(Math.abs(sum - 1) < 1e-6, `queryLossWeights sum to 1, got ${sum}`);
        }
      }
      if (adaptation.regulariser !== undefined) assert.equal(adaptation.regulariser.rank, 0, 'regulariser is a scalar');
      const loss = adaptationLoss(adaptation, query, task.kind);
      assert.ok(Number.isFinite(loss.dataSync()[0]!), 'query loss is finite');
    });
    assert.equal(tf.memory().numTensors, start, 'adapt + predict inside tf.tidy leave no tensor behind');
    paramNames(s.meta).forEach((n, i) => {
      assert.equal(s.meta[n]!.isDisposed, false, `adapt must not dispose meta-parameter '${n}'`);
      assert.deepEqual(Array.from(s.meta[n]!.dataSync()), before[i], `adapt must not change meta-parameter '${n}'`);
    });
    for (const metaTraining of [false, true]) {
      const e = tf.tidy(() => s.solver.adapt({
        backbone: s.backbone, head: s.head, theta: subParams('theta', s.meta), solverParams: subParams('solver', s.meta),
        support, task, metaTraining,
      }).predict(query.x).shape);
      assert.deepEqual(e, [nq, task.ways], `metaTraining: ${metaTraining}`);
    }
    t.diagnostic(`predict: [${nq}, ${task.ways}] float32, finite; no tensor left; inputs untouched`);
  } finally {
    teardown(s);
  }
}

async function determinismProperty(t: TestContext, r: Resolved, task: TaskSpec): Promise<void> {
  const run = (seed: number) => {
    const s = setup(r, task, seed);
    try {
      return lossAndGradValues(s, task);
    } finally {
      teardown(s);
    }
  };
  const a = run(r.seed);
  const b = run(r.seed);
  assert.ok(Number.isFinite(a.loss), `meta-loss must be finite, got ${a.loss}`);
  assert.ok(Object.is(a.loss, b.loss), `two runs with seed ${r.seed} must give bitwise-equal meta-losses: ${a.loss} vs ${b.loss}`);
  assert.deepEqual(b.grads, a.grads, 'two runs with one seed must give bitwise-equal meta-gradients');
  const c = run(r.seed + 1);
  assert.notEqual(c.loss, a.loss, `seed ${r.seed + 1} must give another meta-loss than seed ${r.seed} (the seed must be used)`);
  t.diagnostic(`meta-loss ${a.loss} twice (bitwise), ${c.loss} with seed ${r.seed + 1}`);
}

async function leakProperty(t: TestContext, r: Resolved, task: TaskSpec): Promise<void> {
  const start = tf.memory().numTensors;
  const s = setup(r, task, r.seed);
  disposeEpisode(s.episode);
  let meta = s.meta;
  const counts: number[] = [];
  const losses: number[] = [];
  try {
    for (let k = 0; k < r.metaSteps; k++) {
      const episode = makeEpisode(r, s.backbone, task, deriveSeed(r.seed, 'leak', k));
      const current = meta;
      const next = tf.tidy(() => {
        const { value, grads } = metaValueAndGrads((m) => solverMetaLoss(problem(s, task, episode, k), m), current);
        losses.push(value.dataSync()[0]!);
        const out: Record<string, tf.Tensor> = {};
        for (const n of paramNames(current)) out[n] = grads[n] ? tf.sub(current[n]!, tf.mul(grads[n]!, r.outerLr)) : tf.clone(current[n]!);
        return out;
      });
      disposeParams(current);
      meta = next;
      disposeEpisode(episode);
      counts.push(tf.memory().numTensors);
    }
    const episode = makeEpisode(r, s.backbone, task, deriveSeed(r.seed, 'leak', 'eval'));
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      s.solver.adapt({ backbone: s.backbone, head: s.head, theta: subParams('theta', meta), solverParams: subParams('solver', meta), support: episode.support, task, metaTraining: false }).predict(episode.query.x);
    });
    assert.equal(tf.memory().numTensors, before, 'evaluation (metaTraining: false) inside tf.tidy leaves no tensor');
    disposeEpisode(episode);
  } finally {
    disposeParams(meta);
  }
  assert.ok(losses.every(Number.isFinite), `every meta-loss finite: ${losses.join(', ')}`);
  assert.ok(counts.every((c) => c === counts[0]), `tensor count constant across meta-steps: ${counts.join(', ')}`);
  assert.equal(tf.memory().numTensors, start, 'after disposing the meta-parameters the tensor count is back to its start');
  t.diagnostic(`${r.metaSteps} meta-steps: ${counts[0]} tensors held throughout, ${start} at start and end; meta-loss ${losses[0]?.toFixed(4)} -> ${losses.at(-1)?.toFixed(4)}`);
}

async function reachProperty(t: TestContext, r: Resolved, task: TaskSpec): Promise<void> {
  const s = setup(r, task, r.seed);
  try {
    const { grads } = lossAndGradValues(s, task);
    const exempt: string[] = [];
    for (const n of paramNames(s.meta)) {
      const g = grads[n];
      if (g !== null && g !== undefined) assert.ok(g.every(Number.isFinite), `meta-gradient of '${n}' must be finite`);
      if (r.unused(n)) {
        exempt.push(n);
        continue;
      }
      assert.ok(g !== null && g !== undefined, `the meta-gradient must reach '${n}' (the meta-loss does not depend on it; declare it in unusedParams if that is by design)`);
      assert.ok(g.some((v) => v !== 0), `the meta-gradient of '${n}' is all zeros`);
    }
    t.diagnostic(`${paramNames(s.meta).length - exempt.length} meta-parameters reached${exempt.length ? `; exempt by unusedParams: ${exempt.join(', ')}` : ''}`);
  } finally {
    teardown(s);
  }
}

async function finiteDifferenceProperty(t: TestContext, r: Resolved, task: TaskSpec, fd: Required<FiniteDifferenceOptions>): Promise<void> {
  const s = setup(r, task, r.seed);
  const start = tf.memory().numTensors;
  const rng = createRng(deriveSeed(r.seed, 'directions'));
  const grads = tf.tidy(() => {
    const { grads: g } = metaValueAndGrads((m) => solverMetaLoss(problem(s, task), m), s.meta);
    return Object.fromEntries(Object.entries(g).filter(([, v]) => v !== null)) as Record<string, tf.Tensor>;
  });
  const loss = (p: Params) => tf.tidy(() => solverMetaLoss(problem(s, task), p).dataSync()[0]!);
  const results = [];
  try {
    const labels: Array<[string, (n: string) => boolean]> = paramNames(s.meta).filter((n) => !r.unused(n)).map((n) => [n, (m: string) => m === n]);
    for (let k = 0; k < fd.directions; k++) labels.push([`all#${k}`, (n: string) => !r.unused(n)]);
    for (const [label, only] of labels) {
      const u = randomDirection(rng, s.meta, only);
      try {
        results.push(checkDirectionalDerivative(loss, s.meta, grads, u, fd.step, fd.rtol, fd.atol, label));
      } finally {
        disposeParams(u);
      }
    }
  } finally {
    tf.dispose(Object.values(grads));
    teardown(s);
  }
  for (const c of results) t.diagnostic(`${c.label}: analytic ${c.analytic.toExponential(5)}, finite difference ${c.numeric.toExponential(5)}, error ${c.error.toExponential(2)} (tolerance ${c.tolerance.toExponential(2)})`);
  const bad = results.filter((c) => !c.pass);
  assert.equal(bad.length, 0, `meta-gradient disagrees with central finite differences (h = ${fd.step}) along: ${bad.map((c) => `${c.label} (analytic ${c.analytic}, numeric ${c.numeric})`).join('; ')}`);
  assert.ok(tf.memory().numTensors <= start, 'the check leaves no tensor');
}

/**
 * Registers the solver conformance suite as one node:test test with subtests
 * `backend > task > property`. Properties, each its own subtest, on every available backend:
 * 1. **shapes**: `adapt(...).predict(query.x)` is float32 `[N_q, ways]` and finite (also on other
 *    batch sizes, `stepPredict` and `queryLossWeights` consistent when present); `adapt` leaves
 *    no tensor behind inside `tf.tidy` and neither disposes nor changes `theta`/`solverParams`;
 * 2. **determinism**: two runs from one seed give bitwise-equal meta-losses and meta-gradients
 *    (and another seed another loss);
 * 3. **no leaked tensors**: `metaSteps` (20) meta-steps of SGD on the meta-gradient keep
 *    `tf.memory().numTensors` constant and back at its start once the parameters are disposed;
 * 4. **meta-gradient reaches every meta-parameter**: the gradient of the query loss (core's
 *    `taskLoss`, plus MAML++ step weights and regulariser) with respect to every tensor of
 *    `theta` and `solverParams` is finite and not all zero, except `unusedParams`;
 * 5. **finite differences**: along one random unit direction per meta-parameter tensor and a few
 *    over all of them, `g . u` agrees with `(L(p + h u) - L(p - h u)) / 2h` to
 *    `atol + rtol * max(|.|)` (skipped, with reason, when `gradient: 'approximate'`).
 * Measured numbers are printed as test diagnostics.
 *
 * @param name - the solver's name in the report.
 * @param options - see {@link SolverConformanceOptions}.
 * @example
 * describeSolverConformance('ridge', { createSolver: () => createRidgeSolver(), unusedParams: /^theta\/head\// });
 */
export function describeSolverConformance(name: string, options: SolverConformanceOptions): void {
  const r: Resolved = {
    createSolver: options.createSolver,
    createBackbone: options.createBackbone ?? (() => createMlp({ inputDim: 4, hiddenSizes: [6], activation: 'tanh', weightStd: 0.5 })),
    createHead: options.createHead ?? (() => createLinearHead({ init: 'glorotUniform' })),
    shots: options.shots ?? 2,
    queryShots: options.queryShots ?? 3,
    seed: options.seed ?? 0,
    metaSteps: options.metaSteps ?? 20,
    outerLr: options.outerLr ?? 0.05,
    unused: (n) => options.unusedParams?.test(n) ?? false,
  };
  const fd: Required<FiniteDifferenceOptions> = { step: 1e-2, rtol: 1e-2, atol: 1e-3, directions: 2, ...options.finiteDifference };
  const tasks = options.tasks ?? [{ kind: 'classification', ways: 3 }];
  test(`${name}: inner-solver conformance`, async (t) => {
    await forEachBackend(t, options.backends, async (tb) => {
      for (const task of tasks) {
        await tb.test(taskLabel(task), async (tt) => {
          await tt.test('adapt().predict gives [N_q, ways] float32, leaks nothing, leaves its inputs alone', (x) => shapesProperty(x, r, task));
          await tt.test('determinism: one seed, bitwise-equal meta-loss and meta-gradient', (x) => determinismProperty(x, r, task));
          await tt.test(`no leaked tensors over ${r.metaSteps} meta-steps`, (x) => leakProperty(x, r, task));
          await tt.test('the meta-gradient reaches every meta-parameter (finite, not all zero)', (x) => reachProperty(x, r, task));
          await tt.test(
            'the meta-gradient agrees with central finite differences of the meta-loss',
            options.gradient === 'approximate' ? { skip: 'the solver declares an approximate meta-gradient (gradient: approximate)' } : {},
            (x) => finiteDifferenceProperty(x, r, task, fd),
          );
        });
      }
    });
  });
}
