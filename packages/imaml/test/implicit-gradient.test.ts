// implicitFastWeights, the implicit-differentiation wrapper:
// - finite-difference Hessian-vector products agree with exact ones within their order: on a
//   non-quadratic problem (tanh MLP, 3-way cross-entropy) the meta-gradient with forward
//   differences has error ∝ r (measured 2.4e-2 at r = 1e-1, 2.4e-3 at 1e-2), central differences
//   ∝ r² (3.7e-3, 3.7e-5), against the exact-HVP meta-gradient with the same 6 CG steps;
// - it wraps any inner solver: given the closed-form proximal solution of a quadratic problem as
//   phiStar (no inner loop at all), the gradient is the analytic hypergradient (1e-5);
// - the forward value is phiStar exactly, and mismatched inputs throw MetaLearnError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Matrix, inverse } from 'ml-matrix';
import {
  applyModel, createLinearHead, createMlp, createRng, disposeParams, initModel, MetaLearnError, taskLoss, type Params,
} from '@metalearn/core';
import { createImplicitSolver, implicitFastWeights, type ImplicitSolverOptions } from '@metalearn/imaml';
import { joinMetaParams, metaValueAndGrads, solverMetaLoss } from '@metalearn/core/testing';
import { flatValues, identityBackbone, onEveryBackend, relErr } from './helpers.js';

test('finite-difference HVPs give the exact-HVP meta-gradient within O(r) (forward) and O(r²) (central) (cpu, wasm)', async (t) => {
  await onEveryBackend((backend) => {
    const backbone = createMlp({ inputDim: 3, hiddenSizes: [5], activation: 'tanh', weightStd: 0.8 });
    const head = createLinearHead({ init: 'normal', std: 0.7 });
    const task = { kind: 'classification' as const, ways: 3 };
    const theta = initModel(backbone, head, 2, 3);
    const meta = joinMetaParams(theta, {});
    const rng = createRng(9);
    const points = (n: number): number[] => Array.from({ length: n * 3 }, () => rng.normal());
    const support = { x: tf.tensor2d(points(6), [6, 3]), y: tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32') };
    const query = { x: tf.tensor2d(points(6), [6, 3]), y: tf.tensor1d([2, 1, 0, 1, 0, 2], 'int32') };
    const grad = (o: ImplicitSolverOptions): number[] => tf.tidy(() => {
      const solver = createImplicitSolver({ lambda: 1, innerSteps: 20, innerLr: 0.3, cgSteps: 6, cgTol: 0, ...o });
      return flatValues(metaValueAndGrads((m) => solverMetaLoss({ solver, backbone, head, task, support, query }, m), meta).grads);
    });
    const exact = grad({ hvp: 'exact' });
    const err = (fdScheme: 'forward' | 'central', fdStep: number): number => relErr(grad({ hvp: 'finiteDifference', fdScheme, fdStep }), exact);
    const forward = [err('forward', 1e-1), err('forward', 1e-2)];
    const central = [err('central', 1e-1), err('central', 1e-2)];
    t.diagnostic(`${backend}: rel. error vs exact HVP — forward r=1e-1: ${forward[0]!.toExponential(2)}, r=1e-2: ${forward[1]!.toExponential(2)}; central r=1e-1: ${central[0]!.toExponential(2)}, r=1e-2: ${central[1]!.toExponential(2)}`);
    assert.ok(forward[0]! < 0.1 && forward[0]! > 1e-3, `${backend}: forward r=1e-1 error ${forward[0]} is O(r)`);
    assert.ok(forward[1]! < forward[0]! / 4, `${backend}: forward error shrinks with r: ${forward.join(', ')}`);
    assert.ok(forward[1]! < 1e-2, `${backend}: forward r=1e-2 error ${forward[1]}`);
    assert.ok(central[0]! < forward[0]! / 4, `${backend}: central beats forward at r=1e-1: ${central[0]} vs ${forward[0]}`);
    assert.ok(central[1]! < central[0]! / 30, `${backend}: central error shrinks as r²: ${central.join(', ')}`);
    assert.ok(central[1]! < 1e-3, `${backend}: central r=1e-2 error ${central[1]}`);
    disposeParams(theta);
    tf.dispose([support.x, support.y, query.x, query.y]);
  });
});

test('implicitFastWeights wraps any inner solver: the closed-form proximal solution as phiStar gives the analytic hypergradient (cpu, wasm)', async (t) => {
  // Support loss ½ (phi - a)ᵀ A (phi - a) on one vector parameter, query loss cᵀ phi + ½ ||phi||²;
  // phi* = (A + λI)⁻¹ (A a + λ θ), meta-gradient λ (A + λI)⁻¹ (c + phi*).
  const n = 5;
  const lambda = 0.7;
  const rng = createRng(21);
  const g = Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal()));
  const A = new Matrix(g).transpose().mmul(new Matrix(g)).add(Matrix.eye(n).mul(0.1));
  const a = Array.from({ length: n }, () => rng.normal());
  const c = Array.from({ length: n }, () => rng.normal());
  const theta0 = Array.from({ length: n }, () => rng.normal());
  const shifted = inverse(A.clone().add(Matrix.eye(n).mul(lambda)));
  const phiRef = shifted.mmul(A.mmul(Matrix.columnVector(a)).add(Matrix.columnVector(theta0).mul(lambda))).to1DArray();
  const gradRef = shifted.mmul(Matrix.columnVector(c.map((ci, i) => ci + phiRef[i]!))).mul(lambda).to1DArray();
  await onEveryBackend((backend) => {
    tf.tidy(() => {
      const At = tf.tensor2d(A.to2DArray());
      const at = tf.tensor1d(a);
      const supportLoss = (p: Params): tf.Scalar => {
        const d = tf.reshape(tf.sub(p['w']!, at), [n, 1]);
        return tf.mul(0.5, tf.sum(tf.mul(d, tf.matMul(At, d)))) as tf.Scalar;
      };
      const theta = tf.tensor1d(theta0);
      for (const hvp of ['exact', 'finiteDifference'] as const) {
        const gradient = tf.grad((th: tf.Tensor) => {
          const phiStar = { w: tf.tensor1d(phiRef) }; // from "another solver": float64 closed form
          const phi = implicitFastWeights({ w: th }, phiStar, supportLoss, { lambda, cgSteps: n, cgTol: 0, hvp });
          assert.deepEqual(Array.from(phi['w']!.dataSync()), Array.from(Float32Array.from(phiRef)), 'the forward value is phiStar');
          return tf.add(tf.sum(tf.mul(tf.tensor1d(c), phi['w']!)), tf.mul(0.5, tf.sum(tf.square(phi['w']!)))) as tf.Scalar;
        })(theta);
        const err = relErr(Array.from(gradient.dataSync()), gradRef);
        t.diagnostic(`${backend}, ${hvp} HVP: hypergradient rel. error ${err.toExponential(2)} (tolerance 1e-4)`);
        assert.ok(err < 1e-4, `${backend} ${hvp}: ${err}`);
      }
    });
  });
});

test('implicitFastWeights rejects a phiStar that does not match theta, and bad options', () => {
  tf.tidy(() => {
    const theta = { w: tf.zeros([3]), b: tf.zeros([1]) };
    const loss = (p: Params): tf.Scalar => tf.sum(tf.square(p['w']!));
    const cases: Array<[() => unknown, string, RegExp]> = [
      [() => implicitFastWeights(theta, { w: tf.zeros([3]) }, loss, { lambda: 1, cgSteps: 2 }), 'shapeMismatch', /phiStar must have the names of theta \(b, w\), got \(w\)/],
      [() => implicitFastWeights(theta, { w: tf.zeros([2]), b: tf.zeros([1]) }, loss, { lambda: 1, cgSteps: 2 }), 'shapeMismatch', /params\['w'\] must be \[3\], got \[2\]/],
      [() => implicitFastWeights(theta, theta, loss, { lambda: 0, cgSteps: 2 }), 'invalidArgument', /options\.lambda must be a finite number > 0, got 0/],
      [() => implicitFastWeights(theta, theta, loss, { lambda: 1, cgSteps: -1 }), 'invalidArgument', /options\.cgSteps/],
      [() => implicitFastWeights(theta, theta, loss, { lambda: 1, cgSteps: 2, cgDamping: -0.5 }), 'invalidArgument', /options\.cgDamping must be a finite number >= 0, got -0\.5/],
      [() => implicitFastWeights(theta, theta, loss, { lambda: 1, cgSteps: 2, lambdaDamping: NaN }), 'invalidArgument', /options\.lambdaDamping must be a finite number >= 0, got NaN/],
      [() => implicitFastWeights(theta, theta, loss, { lambda: 1, cgSteps: 2, hvp: 'gn' as never }), 'invalidArgument', /options\.hvp/],
      [() => implicitFastWeights(theta, theta, loss, { lambda: 1, cgSteps: 2, fdStep: -1 }), 'invalidArgument', /options\.fdStep/],
      [() => implicitFastWeights({}, {}, loss, { lambda: 1, cgSteps: 2 }), 'invalidArgument', /theta has no parameter/],
    ];
    for (const [f, kind, pattern] of cases) {
      assert.throws(f, (e) => MetaLearnError.is(e, kind as 'invalidArgument') && pattern.test(e.message), String(pattern));
    }
  });
});

test('the implicit solver on a quadratic: the identity backbone has no parameters, theta is the head only', () => {
  // Guards the fixture of the quadratic tests: the model is exactly linear regression.
  const theta = initModel(identityBackbone(2), createLinearHead(), 0, 1);
  assert.deepEqual(Object.keys(theta).sort(), ['head/bias', 'head/weight']);
  const loss = tf.tidy(() => taskLoss('regression', applyModel(identityBackbone(2), createLinearHead(), theta, tf.tensor2d([[1, 2]]), { training: true }), tf.tensor2d([[0]])).dataSync()[0]!);
  const w = theta['head/weight']!.dataSync();
  const b = theta['head/bias']!.dataSync()[0]!;
  assert.ok(Math.abs(loss - (w[0]! + 2 * w[1]! + b) ** 2) < 1e-6);
  disposeParams(theta);
});
