// The gradient inner solver's meta-gradients, checked as values:
// - second order (1 and 2 inner steps) against central finite differences of the meta-loss, on a
//   tanh MLP regression (MSE) and a tanh classifier (softmax cross-entropy), every parameter;
// - first order against a reference built with core's stopGradient on the inner gradients, and
//   distinct from the second-order meta-gradient;
// - ANIL (adapt '^head/'): backbone fast weights are theta itself, yet the backbone's
//   meta-gradient is non-zero and matches finite differences;
// - Meta-SGD, LSLR (per-step) and both: learned-rate meta-gradients against finite differences;
// - derivative-order annealing and metaTraining: false give the first-order meta-gradient;
// - MAML++ per-step contexts (ctx.innerStep) and multi-step loss outputs.
// Finite differences: fourth-order central differences with h = 5e-3 on float32 losses, combined in
// float64 (truncation h^4/30 |L^(5)|, rounding ~1e-7 |L| / h); measured |tape - fd| is ~3e-5 of
// the gradient's scale (max_j |dL/dw_j|), so the tolerance is 5e-4 of that scale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, stopGradient, taskLoss, applyModel, type Params } from '@metalearn/core';
import { createGradientSolver } from '@metalearn/maml';
import { makeProblem, disposeProblem, metaLoss, tapeGradients, fdGradients, maxDiff, type Problem } from './helpers.js';

const backends = await availableBackends();
const EPS = 5e-3;
const TOL = 5e-4;
const log = (...a: unknown[]): void => {
  if (process.env['H6_VERBOSE']) console.log(...a);
};

/** First-order MAML by definition: phi <- phi - lr * stopGradient(grad L_support(phi)). */
function fomamlReference(p: Problem, steps: number, lr: number): (theta: Params) => tf.Scalar {
  return (theta) =>
    tf.tidy(() => {
      let phi: Params = theta;
      for (let k = 0; k < steps; k++) {
        const names = Object.keys(phi).sort();
        const { grads, value } = tf.engine().gradients(
          () => taskLoss(p.task.kind, applyModel(p.backbone, p.head, phi, p.support.x, { training: true, innerStep: k }), p.support.y),
          names.map((n) => phi[n]!),
        );
        value.dispose();
        phi = Object.fromEntries(names.map((n, i) => [n, tf.sub(phi[n]!, tf.mul(stopGradient(grads[i]!), lr))]));
      }
      return taskLoss(p.task.kind, applyModel(p.backbone, p.head, phi, p.query.x, { training: true, innerStep: steps }), p.query.y);
    });
}

for (const backend of backends) {
  for (const kind of ['regression', 'classification'] as const) {
    for (const steps of [1, 2]) {
      test(`[${backend}] ${kind}: second-order meta-gradient of ${steps} inner step(s) equals central finite differences`, async () => {
        await tf.setBackend(backend);
        const p = makeProblem(kind);
        const start = tf.memory().numTensors;
        const lr = kind === 'regression' ? 0.1 : 0.5;
        const loss = metaLoss(createGradientSolver({ innerSteps: steps, innerLr: lr }), p);
        const tape = tapeGradients(loss, p.theta, {});
        const fd = fdGradients(loss, p.theta, {}, 'theta', EPS);
        const { err, scale } = maxDiff(tape.theta, fd);
        log(backend, kind, steps, 'second order: max |tape - fd| =', err, 'scale', scale);
        assert.ok(err <= TOL * scale, `max |tape - fd| = ${err} > ${TOL} * ${scale}`);
        // The check can fail: the first-order meta-gradient is far from the same differences.
        const fo = tapeGradients(metaLoss(createGradientSolver({ innerSteps: steps, innerLr: lr, order: 'first' }), p), p.theta, {});
        const foErr = maxDiff(fo.theta, fd).err;
        log(backend, kind, steps, 'first order vs fd', foErr);
        assert.ok(foErr > 20 * err, `first order differs from FD by only ${foErr}`);
        assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
        disposeProblem(p);
      });
    }
  }

  test(`[${backend}] first-order meta-gradient equals the stopGradient reference and differs from second order`, async () => {
    await tf.setBackend(backend);
    for (const kind of ['regression', 'classification'] as const) {
      const p = makeProblem(kind, 2);
      for (const steps of [1, 3]) {
        const lr = 0.2;
        const fo = tapeGradients(metaLoss(createGradientSolver({ innerSteps: steps, innerLr: lr, order: 'first' }), p), p.theta, {});
        const refLoss = fomamlReference(p, steps, lr);
        const ref = tapeGradients((th) => refLoss(th), p.theta, {});
        const so = tapeGradients(metaLoss(createGradientSolver({ innerSteps: steps, innerLr: lr }), p), p.theta, {});
        const d = maxDiff(fo.theta, ref.theta);
        const dso = maxDiff(so.theta, ref.theta);
        log(backend, kind, steps, 'first order vs reference', d, 'second order vs reference', dso);
        assert.ok(Math.abs(fo.value - ref.value) <= 1e-6 * Math.abs(ref.value), `meta-loss ${fo.value} vs ${ref.value}`);
        assert.ok(d.err <= 1e-5 * d.scale, `first order vs reference: ${d.err} (scale ${d.scale})`);
        assert.ok(dso.err >= 1e-2 * dso.scale, `second order should differ from first order, got ${dso.err}`);
      }
      disposeProblem(p);
    }
  });
}

test('ANIL: the backbone is not adapted (its fast weights are theta) yet receives the meta-gradient of finite differences', async () => {
  await tf.setBackend('cpu');
  const p = makeProblem('regression', 3);
  const solver = createGradientSolver({ innerSteps: 2, innerLr: 0.1, adapt: '^head/' });
  tf.tidy(() => {
    const a = solver.adapt({ backbone: p.backbone, head: p.head, theta: p.theta, solverParams: {}, support: p.support, task: p.task, metaTraining: true, metaStep: 0 });
    for (const n of Object.keys(p.theta)) {
      const fast = a.fastWeights![n]!;
      if (n.startsWith('backbone/')) {
        assert.equal(fast, p.theta[n], `${n}: the fast weight is theta's tensor`);
      } else {
        const moved = tf.max(tf.abs(tf.sub(fast, p.theta[n]!))).dataSync()[0]!;
        assert.ok(moved > 1e-4, `${n} adapted (moved ${moved})`);
      }
    }
  });
  const loss = metaLoss(solver, p);
  const tape = tapeGradients(loss, p.theta, {});
  const fd = fdGradients(loss, p.theta, {}, 'theta', EPS);
  const { err, scale } = maxDiff(tape.theta, fd);
  const backboneNorm = Math.hypot(...Object.entries(tape.theta).filter(([n]) => n.startsWith('backbone/')).flatMap(([, v]) => v));
  log('ANIL', err, scale, 'backbone meta-gradient norm', backboneNorm);
  assert.ok(backboneNorm > 1e-2, `backbone meta-gradient norm ${backboneNorm}`);
  assert.ok(err <= TOL * scale, `ANIL tape vs fd ${err} (scale ${scale})`);
  assert.throws(() => createGradientSolver({ adapt: '^nothing/' }).initParams(0, p.theta, p.task), /options.adapt \/\^nothing\\\/\/ matches no parameter/);
  disposeProblem(p);
});

for (const variant of [{ metaSgd: true }, { perStepLrs: true }, { metaSgd: true, perStepLrs: true }] as const) {
  test(`learned inner learning rates ${JSON.stringify(variant)}: meta-gradients of the rates and of theta equal finite differences`, async () => {
    await tf.setBackend('cpu');
    const p = makeProblem('regression', 4);
    const steps = 2;
    const solver = createGradientSolver({ innerSteps: steps, innerLr: 0.1, ...variant });
    const sp = solver.initParams(0, p.theta, p.task);
    for (const n of Object.keys(p.theta)) {
      const lr = sp[`lr/${n}`]!;
      const shape = variant.metaSgd && 'perStepLrs' in variant ? [steps, ...p.theta[n]!.shape] : variant.metaSgd ? p.theta[n]!.shape : [steps];
      assert.deepEqual(lr.shape, shape, `lr/${n} shape`);
      assert.ok(Array.from(lr.dataSync()).every((v) => Math.abs(v - 0.1) < 1e-7), 'initialised to innerLr');
    }
    // Perturb the rates so that entries differ (the gradients then distinguish them).
    const rates: Params = Object.fromEntries(Object.entries(sp).map(([n, t], i) => [n, tf.tidy(() => tf.add(t, tf.mul(tf.randomUniform(t.shape, 0, 0.05, 'float32', 7 + i), 1)))]));
    const loss = metaLoss(solver, p);
    const tape = tapeGradients(loss, p.theta, rates);
    const fdLr = fdGradients(loss, p.theta, rates, 'solver', EPS);
    const fdTheta = fdGradients(loss, p.theta, rates, 'theta', EPS);
    const lrDiff = maxDiff(tape.solver, fdLr);
    const thDiff = maxDiff(tape.theta, fdTheta);
    log(JSON.stringify(variant), 'lr', lrDiff, 'theta', thDiff);
    assert.ok(lrDiff.scale > 1e-2, 'the rates receive a meta-gradient');
    assert.ok(lrDiff.err <= TOL * lrDiff.scale, `rates: tape vs fd ${lrDiff.err} (scale ${lrDiff.scale})`);
    assert.ok(thDiff.err <= TOL * thDiff.scale, `theta: tape vs fd ${thDiff.err} (scale ${thDiff.scale})`);
    for (const t of [...Object.values(sp), ...Object.values(rates)]) t.dispose();
    disposeProblem(p);
  });
}

test('derivative-order annealing: first order before firstOrderUntil, second order from it on; metaTraining false is first order', async () => {
  await tf.setBackend('cpu');
  const p = makeProblem('classification', 5);
  const opts = { innerSteps: 2, innerLr: 0.3 };
  const first = tapeGradients(metaLoss(createGradientSolver({ ...opts, order: 'first' }), p), p.theta, {}).theta;
  const second = tapeGradients(metaLoss(createGradientSolver(opts), p), p.theta, {}).theta;
  const annealed = createGradientSolver({ ...opts, derivativeOrderAnnealing: { firstOrderUntil: 3 } });
  const at2 = tapeGradients(metaLoss(annealed, p, { metaStep: 2 }), p.theta, {}).theta;
  const at3 = tapeGradients(metaLoss(annealed, p, { metaStep: 3 }), p.theta, {}).theta;
  const evalMode = tapeGradients(metaLoss(createGradientSolver(opts), p, { metaTraining: false }), p.theta, {}).theta;
  assert.ok(maxDiff(at2, first).err <= 1e-7, 'meta-step 2 < 3: first order');
  assert.ok(maxDiff(at3, second).err <= 1e-7, 'meta-step 3: second order');
  assert.ok(maxDiff(evalMode, first).err <= 1e-7, 'metaTraining false: no second-order graph');
  assert.ok(maxDiff(first, second).err > 1e-3, 'the two orders differ here');
  assert.throws(() => createGradientSolver({ order: 'first', derivativeOrderAnnealing: { firstOrderUntil: 1 } }), /derivativeOrderAnnealing needs options.order 'second'/);
  disposeProblem(p);
});

test('per-step contexts: support step k runs with ctx.innerStep = k, predictions after k steps with innerStep = k', async () => {
  await tf.setBackend('cpu');
  const p = makeProblem('regression', 6);
  const seen: number[] = [];
  const spy = { ...p.backbone, apply: (params: Params, x: tf.Tensor, ctx: { training: boolean; innerStep?: number }) => {
    seen.push(ctx.innerStep ?? -1);
    assert.equal(ctx.training, true);
    return p.backbone.apply(params, x, ctx);
  } };
  const solver = createGradientSolver({ innerSteps: 3, evalInnerSteps: 2, innerLr: 0.1 });
  tf.tidy(() => {
    const a = solver.adapt({ backbone: spy, head: p.head, theta: p.theta, solverParams: {}, support: p.support, task: p.task, metaTraining: true, metaStep: 0 });
    assert.deepEqual(seen, [0, 1, 2]);
    a.predict(p.query.x);
    assert.deepEqual(seen, [0, 1, 2, 3]);
    const preds = a.stepPredict!(p.query.x);
    assert.deepEqual(seen, [0, 1, 2, 3, 1, 2, 3]);
    assert.equal(preds.length, 3);
    seen.length = 0;
    solver.adapt({ backbone: spy, head: p.head, theta: p.theta, solverParams: {}, support: p.support, task: p.task, metaTraining: false }).predict(p.query.x);
    assert.deepEqual(seen, [0, 1, 2], 'evaluation runs evalInnerSteps = 2 steps');
  });
  disposeProblem(p);
});

test('no tensor leaks: adapt inside tidy, meta-gradients of every variant', async () => {
  for (const backend of backends) {
    await tf.setBackend(backend);
    const p = makeProblem('classification', 7);
    const start = tf.memory().numTensors;
    for (const o of [{}, { order: 'first' as const }, { metaSgd: true }, { perStepLrs: true, multiStepLoss: { annealSteps: 10 } }, { adapt: '^head/' }]) {
      const solver = createGradientSolver({ innerSteps: 2, ...o });
      const sp = solver.initParams(0, p.theta, p.task);
      tapeGradients(metaLoss(solver, p), p.theta, sp);
      tf.tidy(() => {
        solver.adapt({ backbone: p.backbone, head: p.head, theta: p.theta, solverParams: sp, support: p.support, task: p.task, metaTraining: false }).predict(p.query.x);
      });
      for (const t of Object.values(sp)) t.dispose();
      assert.equal(tf.memory().numTensors, start, `${backend} ${JSON.stringify(o)}: tensors back to start`);
    }
    disposeProblem(p);
  }
});

test('per-step rates: evaluation steps beyond innerSteps reuse the last learned rate', async () => {
  await tf.setBackend('cpu');
  const p = makeProblem('regression', 10);
  const lslr = createGradientSolver({ innerSteps: 2, evalInnerSteps: 4, perStepLrs: true });
  const init = lslr.initParams(0, p.theta, p.task);
  const rates: Params = Object.fromEntries(Object.keys(init).map((n) => [n, tf.tensor1d([0.1, 0.3])]));
  const input = { backbone: p.backbone, head: p.head, support: p.support, task: p.task, metaTraining: false };
  tf.tidy(() => {
    const got = lslr.adapt({ ...input, theta: p.theta, solverParams: rates }).fastWeights!;
    // Reference: one step at 0.1, then three at 0.3 (plain solvers, constant rates).
    const one = createGradientSolver({ innerSteps: 1, innerLr: 0.1 }).adapt({ ...input, theta: p.theta, solverParams: {} }).fastWeights!;
    const want = createGradientSolver({ innerSteps: 3, innerLr: 0.3 }).adapt({ ...input, theta: one, solverParams: {} }).fastWeights!;
    for (const n of Object.keys(p.theta)) {
      const d = tf.max(tf.abs(tf.sub(got[n]!, want[n]!))).dataSync()[0]!;
      assert.ok(d <= 1e-6, `${n}: ${d}`);
    }
  });
  for (const t of [...Object.values(init), ...Object.values(rates)]) t.dispose();
  disposeProblem(p);
});
