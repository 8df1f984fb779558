// CAVIA's context solver, by value:
// - on a linear model f(x; c) = [x, c] W + b with MSE, the adapted context equals the float64
//   recursion c_{k+1} = c_k - alpha (2/N) sum_i r_i(c_k) w_c, c_0 = 0 (1e-5 relative);
// - the context is reset to zero for every task: task B after task A gives bitwise what B alone gives;
// - theta is not changed by the inner loop, and predict(x) is f_theta(x; phi_K) bitwise;
// - the second-order meta-gradient w.r.t. theta agrees with central finite differences (tanh MLP,
//   3 inner steps; Conv-4 with FiLM in block 1), on every backend;
// - first and second order differ, and first order equals dL_q/dtheta at the (constant) adapted context;
// - the context size is an option; a backbone of another context size or none is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  applyModel, availableBackends, createConv4, createLinearHead, createMlp, createRng, deriveSeed, disposeEpisode, disposeParams,
  initModel, MetaLearnError, paramNames, taskLoss, type Backbone, type Episode, type Head, type Params, type TaskSpec,
} from '@metalearn/core';
import {
  checkDirectionalDerivative, joinMetaParams, metaValueAndGrads, randomDirection, solverMetaLoss, syntheticEpisode,
} from '@metalearn/core/testing';
import { createContextSolver, type ContextAdaptation, type ContextSolverOptions } from '@metalearn/cavia';

const backends = await availableBackends();
const regression: TaskSpec = { kind: 'regression', ways: 1 };

function adaptOnce(options: ContextSolverOptions, backbone: Backbone, head: Head, theta: Params, episode: Episode, task: TaskSpec, metaTraining = true): ContextAdaptation {
  return createContextSolver(options).adapt({ backbone, head, theta, solverParams: {}, support: episode.support, task, metaTraining, metaStep: 0 });
}

test('linear model: the adapted context equals the float64 gradient-descent recursion from c_0 = 0 (1 and 3 steps), on every backend', async (t) => {
  for (const backend of backends) {
    await t.test(backend, async () => {
      await tf.setBackend(backend);
      const C = 2;
      const D = 3;
      const N = 6;
      const alpha = 0.3;
      const backbone = createMlp({ inputDim: D, hiddenSizes: [], contextDim: C });
      const head = createLinearHead({ init: 'normal', std: 0.8 });
      const theta = initModel(backbone, head, 3, 1);
      const episode = syntheticEpisode(4, { kind: 'regression', ways: 1, shots: N, queryShots: 2, inputShape: [D] });
      const W = Array.from(theta['head/weight']!.dataSync()); // [D + C, 1]: rows of x, then of c
      const b = theta['head/bias']!.dataSync()[0]!;
      const xs = Array.from(episode.support.x.dataSync());
      const ys = Array.from(episode.support.y.dataSync());
      const recursion = (steps: number): number[] => {
        let c = new Array<number>(C).fill(0);
        for (let k = 0; k < steps; k++) {
          const g = new Array<number>(C).fill(0);
          for (let i = 0; i < N; i++) {
            let f = b;
            for (let d = 0; d < D; d++) f += xs[i * D + d]! * W[d]!;
            for (let j = 0; j < C; j++) f += c[j]! * W[D + j]!;
            const r = f - ys[i]!;
            for (let j = 0; j < C; j++) g[j]! += (2 / N) * r * W[D + j]!;
          }
          c = c.map((v, j) => v - alpha * g[j]!);
        }
        return c;
      };
      for (const steps of [1, 3]) {
        for (const order of ['second', 'first'] as const) {
          const got = tf.tidy(() => Array.from(adaptOnce({ contextDim: C, innerSteps: steps, innerLr: alpha, order }, backbone, head, theta, episode, regression).context.dataSync()));
          const expected = recursion(steps);
          const err = Math.max(...got.map((v, j) => Math.abs(v - expected[j]!) / Math.max(1e-3, Math.abs(expected[j]!))));
          assert.ok(err < 1e-5, `${steps} steps, ${order}: context ${got} vs float64 ${expected} (relative error ${err})`);
          if (order === 'second') t.diagnostic(`${backend}: ${steps} step(s): context [${got.map((v) => v.toFixed(6)).join(', ')}], max relative error ${err.toExponential(2)} (tolerance 1e-5)`);
        }
      }
      const zero = tf.tidy(() => Array.from(adaptOnce({ contextDim: C, innerSteps: 0 }, backbone, head, theta, episode, regression).context.dataSync()));
      assert.deepEqual(zero, [0, 0], 'innerSteps 0 keeps the context at zero');
      disposeParams(theta);
      disposeEpisode(episode);
    });
  }
});

test('the context is reset to zero per task (task B after task A equals B alone, bitwise); theta is untouched; predict(x) = f_theta(x; phi_K)', async () => {
  await tf.setBackend('cpu');
  const backbone = createMlp({ inputDim: 4, hiddenSizes: [5], activation: 'tanh', weightStd: 0.5, contextDim: 3 });
  const head = createLinearHead({ init: 'glorotUniform' });
  const task: TaskSpec = { kind: 'classification', ways: 3 };
  const theta = initModel(backbone, head, 1, 3);
  const spec = { kind: 'classification' as const, ways: 3, shots: 2, queryShots: 2, inputShape: [4] };
  const a = syntheticEpisode(10, spec);
  const b = syntheticEpisode(11, spec);
  const before = Object.fromEntries(paramNames(theta).map((n) => [n, Array.from(theta[n]!.dataSync())]));
  const solver = createContextSolver({ contextDim: 3, innerSteps: 3, innerLr: 0.7 });
  const start = tf.memory().numTensors;
  for (const metaTraining of [true, false]) {
    const run = (e: Episode) => {
      const ad = solver.adapt({ backbone, head, theta, solverParams: {}, support: e.support, task, metaTraining });
      return { context: Array.from(ad.context.dataSync()), pred: Array.from(ad.predict(b.query.x).dataSync()), ad };
    };
    tf.tidy(() => {
      const alone = run(b);
      const first = run(a);
      const after = run(b);
      assert.deepEqual(after.context, alone.context, 'the context of B does not depend on a task adapted before');
      assert.deepEqual(after.pred, alone.pred);
      assert.notDeepEqual(first.context, alone.context, 'tasks A and B get different contexts');
      assert.ok(alone.context.some((v) => v !== 0), 'the context moved from zero');
      const reference = Array.from(applyModel(backbone, head, theta, b.query.x, { training: true, context: alone.ad.context }).dataSync());
      assert.deepEqual(alone.pred, reference, 'predict(x) is the model at theta with the adapted context');
    });
  }
  assert.equal(tf.memory().numTensors, start, 'adapt + predict inside tf.tidy leave no tensor');
  for (const n of paramNames(theta)) assert.deepEqual(Array.from(theta[n]!.dataSync()), before[n], `theta '${n}' unchanged by the inner loop`);
  disposeParams(theta);
  disposeEpisode(a);
  disposeEpisode(b);
});

/** Parts and an episode for the meta-gradient checks. */
interface Case {
  readonly label: string;
  readonly backbone: Backbone;
  readonly head: Head;
  readonly task: TaskSpec;
  readonly inputShape: readonly number[];
  readonly contextDim: number;
}

const cases = (): Case[] => [
  {
    label: 'tanh MLP 2-8-8 with the context at the input, regression',
    backbone: createMlp({ inputDim: 2, hiddenSizes: [8, 8], activation: 'tanh', weightStd: 0.6, contextDim: 3 }),
    head: createLinearHead({ init: 'glorotUniform' }), task: { kind: 'regression', ways: 1 }, inputShape: [2], contextDim: 3,
  },
  {
    label: 'tanh Conv-4 (3 blocks, 3 filters) with FiLM in block 1, classification',
    backbone: createConv4({ inputShape: [6, 6, 1], filters: 3, blocks: 3, activation: 'tanh', contextDim: 2, filmBlock: 1 }),
    head: createLinearHead({ init: 'glorotUniform' }), task: { kind: 'classification', ways: 2 }, inputShape: [6, 6, 1], contextDim: 2,
  },
];

test('second-order meta-gradient w.r.t. theta vs central finite differences (h = 1e-2; |fd - g.u| <= 1e-3 + 1e-2 |fd|), 3 inner steps, on every backend', async (t) => {
  for (const backend of backends) {
    await t.test(backend, async (tb) => {
      await tf.setBackend(backend);
      for (const c of cases()) {
        const theta = initModel(c.backbone, c.head, 5, c.task.ways);
        const meta = joinMetaParams(theta, {});
        const episode = syntheticEpisode(6, { kind: c.task.kind, ways: c.task.ways, shots: 4, queryShots: 3, inputShape: c.inputShape });
        const solver = createContextSolver({ contextDim: c.contextDim, innerSteps: 3, innerLr: 0.5 });
        const problem = { solver, backbone: c.backbone, head: c.head, task: c.task, support: episode.support, query: episode.query };
        const grads = tf.tidy(() => {
          const { grads: g } = metaValueAndGrads((m) => solverMetaLoss(problem, m), meta);
          return Object.fromEntries(Object.entries(g).filter(([, v]) => v !== null)) as Record<string, tf.Tensor>;
        });
        const loss = (p: Params): number => tf.tidy(() => solverMetaLoss(problem, p).dataSync()[0]!);
        const rng = createRng(deriveSeed(7, c.label));
        const labels = [...paramNames(meta).map((n) => [n, (m: string) => m === n] as const), ['all', () => true] as const];
        let worst = 0;
        for (const [label, only] of labels) {
          const u = randomDirection(rng, meta, only);
          const r = checkDirectionalDerivative(loss, meta, grads, u, 1e-2, 1e-2, 1e-3, label);
          disposeParams(u);
          assert.ok(r.pass, `${c.label}: ${label}: analytic ${r.analytic}, finite difference ${r.numeric}`);
          worst = Math.max(worst, r.error / r.tolerance);
        }
        tb.diagnostic(`${c.label}: ${labels.length} directions agree; worst error/tolerance ${worst.toFixed(3)}`);
        tf.dispose(Object.values(grads));
        disposeParams(meta);
        disposeParams(theta);
        disposeEpisode(episode);
      }
    });
  }
});

test('first and second order differ; first order is exactly dL_q/dtheta at the adapted context held constant', async (t) => {
  await tf.setBackend('cpu');
  for (const c of cases()) {
    const theta = initModel(c.backbone, c.head, 8, c.task.ways);
    const episode = syntheticEpisode(9, { kind: c.task.kind, ways: c.task.ways, shots: 4, queryShots: 3, inputShape: c.inputShape });
    const names = paramNames(theta);
    const gradsOf = (order: 'first' | 'second'): { grads: number[][]; context: tf.Tensor } => {
      let context: tf.Tensor | undefined;
      const grads = tf.tidy(() => {
        const { grads: g } = tf.engine().gradients(() => {
          const ad = adaptOnce({ contextDim: c.contextDim, innerSteps: 2, innerLr: 0.5, order }, c.backbone, c.head, theta, episode, c.task);
          context = tf.keep(tf.clone(ad.context));
          return taskLoss(c.task.kind, ad.predict(episode.query.x), episode.query.y);
        }, names.map((n) => theta[n]!));
        return g.map((x) => Array.from(x!.dataSync()));
      });
      return { grads, context: context! };
    };
    const first = gradsOf('first');
    const second = gradsOf('second');
    assert.deepEqual(Array.from(first.context.dataSync()), Array.from(second.context.dataSync()), 'both orders adapt to the same context');
    const fixed = tf.tidy(() => {
      const { grads: g } = tf.engine().gradients(
        () => taskLoss(c.task.kind, applyModel(c.backbone, c.head, theta, episode.query.x, { training: true, context: first.context }), episode.query.y),
        names.map((n) => theta[n]!),
      );
      return g.map((x) => Array.from(x!.dataSync()));
    });
    let diff = 0;
    let norm = 0;
    names.forEach((n, i) => {
      const a = first.grads[i]!;
      const b = fixed[i]!;
      a.forEach((v, j) => assert.ok(Math.abs(v - b[j]!) <= 1e-6 * (1 + Math.abs(b[j]!)), `${c.label}: first-order gradient of '${n}' = dL_q/dtheta at the fixed context`));
      second.grads[i]!.forEach((v, j) => {
        diff += (v - a[j]!) ** 2;
        norm += v ** 2;
      });
    });
    const rel = Math.sqrt(diff / norm);
    assert.ok(rel > 1e-3, `${c.label}: second order differs from first order (relative difference ${rel})`);
    t.diagnostic(`${c.label}: ||g2 - g1|| / ||g2|| = ${rel.toExponential(3)}`);
    first.context.dispose();
    second.context.dispose();
    disposeParams(theta);
    disposeEpisode(episode);
  }
});

test('context size is an option: contextDim 7 gives a [7] context; a backbone of another context size or without context is refused', async () => {
  await tf.setBackend('cpu');
  const head = createLinearHead();
  const episode = syntheticEpisode(1, { kind: 'regression', ways: 1, shots: 3, queryShots: 2, inputShape: [2] });
  const b7 = createMlp({ inputDim: 2, hiddenSizes: [4], contextDim: 7 });
  const theta7 = initModel(b7, head, 0, 1);
  tf.tidy(() => {
    const ad = adaptOnce({ contextDim: 7 }, b7, head, theta7, episode, regression);
    assert.deepEqual(ad.context.shape, [7]);
    assert.deepEqual(ad.predict(episode.query.x).shape, [2, 1]);
  });
  assert.throws(() => tf.tidy(() => { adaptOnce({ contextDim: 3 }, b7, head, theta7, episode, regression); }), (e) => MetaLearnError.is(e, 'shapeMismatch') && /ctx\.context must be float32 \[7\]/.test(e.message));
  const plain = createMlp({ inputDim: 2, hiddenSizes: [4] });
  const theta0 = initModel(plain, head, 0, 1);
  assert.throws(() => tf.tidy(() => { adaptOnce({}, plain, head, theta0, episode, regression); }), (e) => MetaLearnError.is(e, 'unsupported'));
  const conv = createConv4({ inputShape: [6, 6, 1], filters: 2 });
  const thetaC = initModel(conv, head, 0, 2);
  const image = syntheticEpisode(2, { kind: 'classification', ways: 2, shots: 1, queryShots: 1, inputShape: [6, 6, 1] });
  assert.throws(() => tf.tidy(() => { adaptOnce({}, conv, head, thetaC, image, { kind: 'classification', ways: 2 }); }), (e) => MetaLearnError.is(e, 'unsupported') && /conv4\.apply/.test(e.message));
  for (const p of [theta7, theta0, thetaC]) disposeParams(p);
  disposeEpisode(episode);
  disposeEpisode(image);
});
