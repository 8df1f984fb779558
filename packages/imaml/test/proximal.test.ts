// The proximal inner loop and the tape pause it runs under:
// - every inner optimizer (sgd, momentum, nesterov, adam) reaches the closed-form proximal solution
//   of a quadratic support loss (float64 reference) and the optimality condition
//   ∇L_support(phi) + λ (phi - theta) = 0 (tolerances per optimizer below, measured values printed);
// - under an outer gradient tape its result is a constant (no gradient path to theta), the outer
//   tape records nothing of it (peak bytes of 60 steps = those of 1 step), while the same loop
//   without the pause keeps every step's saved tensors alive until the outer gradient returns;
// - bad options throw MetaLearnError naming them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Matrix, inverse } from 'ml-matrix';
import { createRng, MetaLearnError, withoutTape, type Params } from '@metalearn/core';
import { lossAndGradient, proximalOptimality, solveProximal, type InnerOptimizerName } from '@metalearn/imaml';
import { onEveryBackend, relErr } from './helpers.js';

const N = 6;
const LAMBDA = 0.5;
const rng = createRng(31);
const G = Array.from({ length: N }, () => Array.from({ length: N }, () => rng.normal()));
const A = new Matrix(G).transpose().mmul(new Matrix(G)).mul(1 / N);
const a = Array.from({ length: N }, () => rng.normal());
const theta0 = Array.from({ length: N }, () => rng.normal());
const PHI_REF = inverse(A.clone().add(Matrix.eye(N).mul(LAMBDA))).mmul(A.mmul(Matrix.columnVector(a)).add(Matrix.columnVector(theta0).mul(LAMBDA))).to1DArray();

/** ½ (w - a)ᵀ A (w - a) on the parameter `w` (float32). */
function quadratic(): (p: Params) => tf.Scalar {
  const rows = A.to2DArray();
  return (p) => tf.tidy(() => {
    const d = tf.reshape(tf.sub(p['w']!, tf.tensor1d(a)), [N, 1]);
    return tf.mul(0.5, tf.sum(tf.mul(d, tf.matMul(tf.tensor2d(rows), d)))) as tf.Scalar;
  });
}

test('solveProximal: sgd, momentum, nesterov and adam reach the closed-form proximal solution and its optimality condition (cpu, wasm)', async (t) => {
  const settings: Array<[InnerOptimizerName, number, number, number]> = [
    // optimizer, steps, lr, tolerance (relative error of phi*)
    ['sgd', 300, 0.3, 1e-5],
    ['momentum', 300, 0.1, 1e-5],
    ['nesterov', 300, 0.1, 1e-5],
    ['adam', 400, 0.05, 1e-5],
  ];
  await onEveryBackend((backend) => {
    const loss = quadratic();
    tf.tidy(() => {
      const theta = { w: tf.tensor1d(theta0) };
      for (const [optimizer, steps, lr, tol] of settings) {
        const phi = solveProximal(loss, theta, { lambda: LAMBDA, steps, lr, optimizer });
        const err = relErr(Array.from(phi['w']!.dataSync()), PHI_REF);
        const residual = Math.max(...Array.from(proximalOptimality(lossAndGradient(loss, phi).grads, phi, theta, LAMBDA)['w']!.dataSync()).map(Math.abs));
        t.diagnostic(`${backend} ${optimizer} (${steps} steps, lr ${lr}): phi* rel. error ${err.toExponential(2)} (tolerance ${tol}), optimality residual ${residual.toExponential(2)}`);
        assert.ok(err < tol, `${backend} ${optimizer}: ${err}`);
        assert.ok(residual < 10 * tol, `${backend} ${optimizer}: residual ${residual}`);
      }
      const zero = solveProximal(loss, theta, { lambda: LAMBDA, steps: 0, lr: 0.1 });
      assert.deepEqual(Array.from(zero['w']!.dataSync()), Array.from(Float32Array.from(theta0)), '0 steps: phi = theta (a copy)');
      assert.notEqual(zero['w'], theta.w);
    });
  });
});

test('solveProximal under an outer tape: a constant, recorded nowhere, memory flat in the steps; an unpaused loop is not (cpu)', async (t) => {
  await tf.setBackend('cpu');
  const loss = quadratic();
  const theta = tf.tensor1d(theta0);
  const peak = async (steps: number, paused: boolean): Promise<number> => {
    const info = await tf.profile(() => {
      tf.tidy(() => {
        const { grads } = tf.engine().gradients(() => {
          let phi: Params;
          if (paused) {
            phi = solveProximal(loss, { w: theta }, { lambda: LAMBDA, steps, lr: 0.3 });
          } else {
            // The same gradient steps on detached copies (as a first-order loop), recorded on the outer tape.
            const centre = tf.tensor(theta.dataSync(), theta.shape);
            let w = tf.clone(centre);
            for (let j = 0; j < steps; j++) {
              const { grads: g } = lossAndGradient(loss, { w });
              w = tf.sub(w, tf.mul(tf.add(g['w']!, tf.mul(tf.sub(w, centre), LAMBDA)), 0.3));
            }
            phi = { w };
          }
          return tf.add(tf.sum(tf.mul(theta, theta)), tf.sum(phi['w']!)) as tf.Scalar;
        }, [theta], undefined, true);
        // Only the direct term reaches theta: d/dθ Σθ² = 2θ (phi is a constant when paused).
        if (paused) assert.ok(relErr(Array.from(grads[0]!.dataSync()), theta0.map((v) => 2 * v)) < 1e-6);
      });
    });
    return info.peakBytes;
  };
  const flat = [await peak(1, true), await peak(60, true)];
  const taped = [await peak(1, false), await peak(60, false)];
  t.diagnostic(`peak bytes, paused: 1 step ${flat[0]}, 60 steps ${flat[1]}; on the outer tape: 1 step ${taped[0]}, 60 steps ${taped[1]}`);
  assert.equal(flat[1], flat[0], 'paused: the peak does not grow with the number of steps');
  assert.ok(taped[1]! > 5 * taped[0]!, 'on the outer tape the saved tensors of every step stay alive');
  theta.dispose();
});

test('solveProximal rejects bad options, naming them', () => {
  const theta = { w: tf.zeros([2]) };
  const loss = (p: Params): tf.Scalar => tf.sum(tf.square(p['w']!));
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ lambda: 0, steps: 1, lr: 0.1 }, /options\.lambda must be a finite number > 0, got 0/],
    [{ lambda: 1, steps: -1, lr: 0.1 }, /options\.steps must be an integer >= 0, got -1/],
    [{ lambda: 1, steps: 1, lr: 0 }, /options\.lr must be a finite number > 0, got 0/],
    [{ lambda: 1, steps: 1, lr: 0.1, optimizer: 'lbfgs' }, /options\.optimizer must be 'sgd', 'momentum', 'nesterov' or 'adam', got "lbfgs"/],
    [{ lambda: 1, steps: 1, lr: 0.1, optimizer: 'nesterov', momentum: 1 }, /options\.momentum must be in \(0, 1\), got 1/],
  ];
  for (const [o, pattern] of cases) {
    assert.throws(() => solveProximal(loss, theta, o as never), (e) => MetaLearnError.is(e, 'invalidArgument') && pattern.test(e.message) && e.message.startsWith('solveProximal: '), String(pattern));
  }
  assert.throws(() => solveProximal(loss, {}, { lambda: 1, steps: 1, lr: 0.1 }), /theta has no parameter/);
  theta.w.dispose();
});
