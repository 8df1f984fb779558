// The iMAML meta-gradient against the analytic hypergradient of a quadratic inner problem.
//
// Model: identity backbone + linear head (weight [d, m], bias [m]) on mean squared error, so with
// X~ = [X, 1] (N x (d+1)) and the parameters stacked as W~ = [W; b^T] ((d+1) x m):
//   L_support(W~) = ||X~ W~ - Y||² / (N m)   — per output column ½ (w - a)ᵀ A (w - a) + const,
//   A = 2 X~ᵀX~ / (N m)  (the same block for each of the m columns),
// so the proximal solution and its Jacobian are closed form (float64, ml-matrix):
//   phi*   = (A + λI)⁻¹ (2 X~ᵀY / (N m) + λ theta),   d phi* / d theta = λ (A + λI)⁻¹ = (I + A/λ)⁻¹,
//   meta-gradient = λ (A + λI)⁻¹ ∇L_query(phi*),  ∇L_query = 2 X~_qᵀ (X~_q phi* - Y_q) / (N_q m).
// With 300 inner SGD steps (contraction ≤ 0.84 per step) and CG run to convergence, a full
// backprop-learner step (SGD, outer lr 1, so the step is the meta-gradient) must match to 1e-4
// relative (float32: measured 3e-7 to 4e-7); CG's error falls with every iteration and vanishes at
// iteration 4 = number of distinct eigenvalues of I + A/λ (4x4 blocks), as CG theory says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Matrix, inverse } from 'ml-matrix';
import { applyModel, createLearner, createLinearHead, disposeEpisode, disposeParams, initModel, taskLoss, withoutTape, type Episode, type InnerSolver } from '@metalearn/core';
import { joinMetaParams, metaValueAndGrads, solverMetaLoss } from '@metalearn/core/testing';
import { createImplicitSolver, proximalOptimality, lossAndGradient } from '@metalearn/imaml';
import { flatValues, identityBackbone, linearEpisode, linearTaskData, onEveryBackend, relErr, type LinearTaskData } from './helpers.js';

const D = 3;
const M = 2;
const LAMBDA = 0.5;
const INNER = { innerSteps: 300, innerLr: 0.2 } as const;

/** Stacks weight [d, m] and bias [m] (sorted-name flat values: bias first) into W~ (d+1) x m. */
function stack(values: number[]): Matrix {
  const bias = values.slice(0, M);
  const weight = values.slice(M);
  return new Matrix([...Array.from({ length: D }, (_, i) => weight.slice(i * M, (i + 1) * M)), bias]);
}

/** W~ back to sorted-name flat values (bias, then weight row-major). */
function unstack(w: Matrix): number[] {
  const rows = w.to2DArray();
  return [...rows[D]!, ...rows.slice(0, D).flat()];
}

/**
 * Float64 closed forms: phi*, the meta-gradient and the query loss at phi*. With damping `μ`, `δ`
 * the meta-gradient is the damped system's solution `((1 + μ) I + A/(λ + δ))⁻¹ ∇L_query`.
 */
function reference(data: LinearTaskData, theta: number[], damping = { mu: 0, delta: 0 }): { phi: number[]; grad: number[]; loss: number } {
  const aug = (x: number[][]): Matrix => new Matrix(x.map((r) => [...r, 1]));
  const xs = aug(data.xs);
  const xq = aug(data.xq);
  const n = data.xs.length;
  const nq = data.xq.length;
  const a = xs.transpose().mmul(xs).mul(2 / (n * M));
  const shifted = inverse(a.clone().add(Matrix.eye(D + 1).mul(LAMBDA)));
  const rhs = xs.transpose().mmul(new Matrix(data.ys)).mul(2 / (n * M)).add(stack(theta).mul(LAMBDA));
  const phi = shifted.mmul(rhs);
  const resid = xq.mmul(phi).sub(new Matrix(data.yq));
  const gq = xq.transpose().mmul(resid).mul(2 / (nq * M));
  const system = Matrix.eye(D + 1).mul(1 + damping.mu).add(a.clone().div(LAMBDA + damping.delta));
  const grad = inverse(system).mmul(gq);
  const loss = resid.to1DArray().reduce((s, r) => s + r * r, 0) / (nq * M);
  return { phi: unstack(phi), grad: unstack(grad), loss };
}

/** The quadratic problem's model: identity backbone, linear head initialised from `seed` (dispose `theta`). */
function quadraticModel(seed: number) {
  const backbone = identityBackbone(D);
  const head = createLinearHead({ init: 'normal', std: 0.5 });
  const task = { kind: 'regression' as const, ways: M };
  const theta = initModel(backbone, head, seed, M);
  return { backbone, head, task, theta, meta: joinMetaParams(theta, {}) };
}

/** The solver's meta-gradient on one episode (per-task `adapt` path): its names (sorted) and flat values. */
function solverMetaGradient(solver: InnerSolver, model: ReturnType<typeof quadraticModel>, episode: Episode): { names: string[]; values: number[] } {
  return tf.tidy(() => {
    const { backbone, head, task, meta } = model;
    const { grads } = metaValueAndGrads((m) => solverMetaLoss({ solver, backbone, head, task, support: episode.support, query: episode.query }, m), meta);
    return { names: Object.keys(grads).sort(), values: flatValues(grads) };
  });
}

test('a full backprop-learner step with the implicit solver equals the analytic iMAML hypergradient of a quadratic inner problem (cpu, wasm)', async (t) => {
  const data = linearTaskData(11, 8, 6, D, M);
  await onEveryBackend((backend) => {
    const learner = createLearner({
      backbone: identityBackbone(D), head: createLinearHead({ init: 'normal', std: 0.5 }),
      solver: createImplicitSolver({ lambda: LAMBDA, ...INNER, cgSteps: 8, cgTol: 0 }),
      task: { kind: 'regression', ways: M }, seed: 3, outerLr: 1, optimizer: 'sgd',
    });
    const episode = linearEpisode(data);
    const theta = flatValues(learner.params);
    const ref = reference(data, theta);

    // The adapted fast weights are the closed-form proximal solution and satisfy the optimality condition.
    const { phiErr, residual } = tf.tidy(() => {
      const thetaView = learner.params;
      const adaptation = learner.adapt(episode.support, { kind: 'regression', ways: M });
      const phi = adaptation.fastWeights!;
      const loss = (p: typeof phi) => taskLoss('regression', applyModel(identityBackbone(D), createLinearHead(), p, episode.support.x, { training: true }), episode.support.y);
      const { grads } = withoutTape(() => lossAndGradient(loss, phi));
      const f = proximalOptimality(grads, phi, thetaView, LAMBDA);
      return { phiErr: relErr(flatValues(phi), ref.phi), residual: Math.max(...flatValues(f).map(Math.abs)) };
    });
    assert.ok(phiErr < 1e-5, `${backend}: phi* relative error ${phiErr}`);
    assert.ok(residual < 1e-5, `${backend}: optimality residual ∇L_s + λ(φ - θ) = ${residual}`);

    const { loss } = learner.metaTrainStep([episode]);
    const step = theta.map((v, i) => v - flatValues(learner.params)[i]!);
    const err = relErr(step, ref.grad);
    t.diagnostic(`${backend}: phi* rel. error ${phiErr.toExponential(2)}, optimality residual ${residual.toExponential(2)}, meta-gradient rel. error ${err.toExponential(2)} (tolerance 1e-4), query loss ${loss} vs ${ref.loss}`);
    assert.ok(err < 1e-4, `${backend}: meta-gradient relative error ${err}: ${step} vs ${ref.grad}`);
    assert.ok(Math.abs(loss - ref.loss) < 1e-5 * Math.max(1, ref.loss), `${backend}: query loss ${loss} vs ${ref.loss}`);
    disposeEpisode(episode);
    learner.dispose();
  });
});

test('the implicit meta-gradient error falls with every CG step and vanishes at the number of distinct eigenvalues (cpu, wasm)', async (t) => {
  const data = linearTaskData(12, 8, 6, D, M);
  await onEveryBackend((backend) => {
    const model = quadraticModel(5);
    const { theta } = model;
    const episode = linearEpisode(data);
    const ref = reference(data, flatValues(theta));
    const errors = [0, 1, 2, 3, 4].map((cgSteps) => {
      const { names, values } = solverMetaGradient(createImplicitSolver({ lambda: LAMBDA, ...INNER, cgSteps, cgTol: 0 }), model, episode);
      assert.deepEqual(names, ['theta/head/bias', 'theta/head/weight']);
      return relErr(values, ref.grad);
    });
    t.diagnostic(`${backend}: relative error after 0..4 CG steps: ${errors.map((e) => e.toExponential(2)).join(', ')}`);
    for (let k = 1; k < errors.length; k++) assert.ok(errors[k]! < 0.5 * errors[k - 1]!, `${backend}: CG step ${k} must at least halve the error: ${errors.join(', ')}`);
    assert.ok(errors[0]! > 1e-2, `${backend}: zero CG steps (first-order) is visibly wrong: ${errors[0]}`);
    assert.ok(errors[4]! < 1e-4, `${backend}: four CG steps solve the 4-eigenvalue system: ${errors[4]}`);
    disposeParams(theta);
    disposeEpisode(episode);
  });
});

test('damped (cgDamping μ, lambdaDamping δ): the meta-gradient solves ((1 + μ) I + A/(λ + δ)) g = ∇L_query, in the per-task and task-batched paths (cpu, wasm)', async (t) => {
  const data = [linearTaskData(13, 8, 6, D, M), linearTaskData(14, 8, 6, D, M)];
  await onEveryBackend((backend) => {
    const model = quadraticModel(6);
    const { backbone, head, task, theta } = model;
    const episodes = data.map(linearEpisode);
    const start = tf.memory().numTensors;
    for (const damping of [{ mu: 1, delta: 10 }, { mu: 0.5, delta: 0 }, { mu: 0, delta: 3 }]) {
      const solver = createImplicitSolver({ lambda: LAMBDA, ...INNER, cgSteps: 8, cgTol: 0, cgDamping: damping.mu, lambdaDamping: damping.delta });
      const refs = data.map((d) => reference(d, flatValues(theta), damping));
      const undamped = reference(data[0]!, flatValues(theta));
      const err = relErr(solverMetaGradient(solver, model, episodes[0]!).values, refs[0]!.grad);
      assert.ok(err < 1e-4, `${backend} ${JSON.stringify(damping)}: per-task meta-gradient relative error ${err}`);
      assert.ok(relErr(refs[0]!.grad, undamped.grad) > 0.05, `${backend} ${JSON.stringify(damping)}: damping changes the closed form`);
      // The task-batched path (linear head + identity backbone have applyTasks): two tasks at once.
      const batchedErr = tf.tidy(() => {
        const support = { x: tf.stack(episodes.map((e) => e.support.x)), y: tf.stack(episodes.map((e) => e.support.y)) };
        const { grads } = metaValueAndGrads((m) => {
          const a = solver.adaptTasks!({ backbone, head, theta: m, solverParams: {}, support, task, metaTraining: true, tasks: 2 });
          assert.ok(a !== undefined, 'adaptTasks accepts the identity backbone and linear head');
          const pred = a.predict(tf.stack(episodes.map((e) => e.query.x)));
          return tf.sum(tf.stack(episodes.map((e, i) => taskLoss('regression', tf.squeeze(tf.slice(pred, [i], [1]), [0]), e.query.y)))) as tf.Scalar;
        }, theta);
        const expected = refs[0]!.grad.map((g, i) => g + refs[1]!.grad[i]!);
        return relErr(flatValues(grads), expected);
      });
      assert.ok(batchedErr < 1e-4, `${backend} ${JSON.stringify(damping)}: task-batched meta-gradient relative error ${batchedErr}`);
      t.diagnostic(`${backend} μ ${damping.mu}, δ ${damping.delta}: relative error per task ${err.toExponential(2)}, task-batched ${batchedErr.toExponential(2)}`);
    }
    // Without CG steps (H left out) the damped system gives ∇L_query / (1 + μ): half of the undamped one for μ = 1.
    const firstOrder = (extra: object) => solverMetaGradient(createImplicitSolver({ lambda: LAMBDA, ...INNER, cgSteps: 0, ...extra }), model, episodes[0]!).values;
    const plain = firstOrder({});
    const halved = firstOrder({ cgDamping: 1, lambdaDamping: 10 });
    assert.deepEqual(halved, plain.map((g) => g / 2), `${backend}: cgSteps 0 with μ = 1 halves the first-order meta-gradient`);
    assert.equal(tf.memory().numTensors, start, `${backend}: no tensor leaked`);
    disposeParams(theta);
    episodes.forEach(disposeEpisode);
  });
});
