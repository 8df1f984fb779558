// MAML++ multi-step loss: the annealed per-step weights (values from the reference code's formula,
// worked by hand below), what the solver exposes, and the MSL meta-gradient against finite
// differences (fourth-order stencil, h = 5e-3, tolerance 5e-4 of the gradient's scale).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError, initEngine } from '@metalearn/core';
import { createGradientSolver, multiStepLossWeights } from '@metalearn/maml';
import { makeProblem, disposeProblem, metaLoss, tapeGradients, fdGradients, maxDiff } from './helpers.js';

function close(a: number[], b: number[], tol: number, what: string): void {
  assert.equal(a.length, b.length, what);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= tol, `${what}[${i}]: ${v} vs ${b[i]}`));
}

test('multiStepLossWeights anneals as in MAML++ (K = 5, E = 100) and always sums to 1', () => {
  // d = 1/(K E) = 0.002, floor f = 0.03/K = 0.006.
  close(multiStepLossWeights(5, 100, 0), [0.2, 0.2, 0.2, 0.2, 0.2], 1e-15, 'e = 0: uniform');
  // e = 50: non-final 0.2 - 50 d = 0.1; final 0.2 + 50 * 4 d = 0.6.
  close(multiStepLossWeights(5, 100, 50), [0.1, 0.1, 0.1, 0.1, 0.6], 1e-12, 'e = 50');
  // e = 97: non-final max(0.2 - 0.194, 0.006) = 0.006; final min(0.2 + 0.776, 1 - 4 f = 0.976) = 0.976.
  close(multiStepLossWeights(5, 100, 97), [0.006, 0.006, 0.006, 0.006, 0.976], 1e-12, 'e = 97');
  close(multiStepLossWeights(5, 100, 99), [0.006, 0.006, 0.006, 0.006, 0.976], 1e-12, 'e = 99: held at the floor');
  close(multiStepLossWeights(5, 100, 100), [0, 0, 0, 0, 1], 0, 'e >= E: final step only');
  close(multiStepLossWeights(1, 10, 3), [1], 0, 'K = 1');
  for (let k = 1; k <= 6; k++) {
    let prev = multiStepLossWeights(k, 40, 0);
    for (let e = 0; e <= 60; e++) {
      const w = multiStepLossWeights(k, 40, e);
      assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-12, `K=${k} e=${e}: sum ${w}`);
      assert.ok(w.every((v) => v >= 0 && v <= 1));
      if (e < 40) {
        assert.ok(w[k - 1]! >= prev[k - 1]! - 1e-15, 'the final weight grows');
        for (let i = 0; i < k - 1; i++) assert.ok(w[i]! <= prev[i]! + 1e-15, 'earlier weights shrink');
      }
      prev = w;
    }
  }
  assert.throws(() => multiStepLossWeights(0, 10, 0), (e) => MetaLearnError.is(e, 'invalidArgument') && /innerSteps/.test(e.message));
  assert.throws(() => multiStepLossWeights(2, 10, -1), (e) => MetaLearnError.is(e, 'invalidArgument') && /metaStep/.test(e.message));
});

test('the solver gives stepPredict and MSL weights while meta-training before annealSteps, and only then', async () => {
  await initEngine({ backend: 'cpu', log: () => {} });
  const p = makeProblem('classification', 8);
  const solver = createGradientSolver({ innerSteps: 3, innerLr: 0.3, multiStepLoss: { annealSteps: 10 } });
  const input = { backbone: p.backbone, head: p.head, theta: p.theta, solverParams: {}, support: p.support, task: p.task };
  tf.tidy(() => {
    const a = solver.adapt({ ...input, metaTraining: true, metaStep: 4 });
    close([...a.queryLossWeights!], multiStepLossWeights(3, 10, 4), 0, 'weights at meta-step 4');
    const steps = a.stepPredict!(p.query.x);
    assert.equal(steps.length, 3);
    close(Array.from(steps[2]!.dataSync()), Array.from(a.predict(p.query.x).dataSync()), 0, 'last step = predict');
    const d01 = tf.max(tf.abs(tf.sub(steps[0]!, steps[1]!))).dataSync()[0]!;
    assert.ok(d01 > 1e-4, 'the steps differ');
    assert.equal(solver.adapt({ ...input, metaTraining: true, metaStep: 10 }).queryLossWeights, undefined, 'annealed away');
    assert.equal(solver.adapt({ ...input, metaTraining: false }).queryLossWeights, undefined, 'evaluation: final step');
    assert.throws(() => solver.adapt({ ...input, metaTraining: true }), (e) => MetaLearnError.is(e, 'invalidArgument') && /metaStep/.test(e.message));
  });
  disposeProblem(p);
});

test('MAML++ (LSLR + MSL, second order): meta-gradients of theta and the per-step rates equal finite differences', async () => {
  await initEngine({ backend: 'cpu', log: () => {} });
  const p = makeProblem('classification', 9);
  const solver = createGradientSolver({ innerSteps: 3, innerLr: 0.3, perStepLrs: true, multiStepLoss: { annealSteps: 10 } });
  const sp = solver.initParams(0, p.theta, p.task);
  const loss = metaLoss(solver, p, { metaStep: 5 });
  const tape = tapeGradients(loss, p.theta, sp);
  const th = maxDiff(tape.theta, fdGradients(loss, p.theta, sp, 'theta', 5e-3));
  const lr = maxDiff(tape.solver, fdGradients(loss, p.theta, sp, 'solver', 5e-3));
  assert.ok(th.err <= 5e-4 * th.scale, `theta ${th.err} (scale ${th.scale})`);
  assert.ok(lr.err <= 5e-4 * lr.scale && lr.scale > 1e-3, `rates ${lr.err} (scale ${lr.scale})`);
  for (const t of Object.values(sp)) t.dispose();
  disposeProblem(p);
});
