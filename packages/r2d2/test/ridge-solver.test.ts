// The R2-D2 inner solver end to end with a tiny functional backbone: predictions equal the
// float64 normal-equations head (ml-matrix) on the backbone's support features; the meta-gradient
// with respect to the backbone parameters, log λ, α and β agrees with central finite differences
// (classification through the Woodbury form, regression through the primal form); second
// derivatives through the solve agree with finite differences of gradients; a fixed seed gives
// fixed numbers; bad support sets and parameters are rejected; nothing leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { createLinearHead, disposeEpisode, hessianVectorProduct, MetaLearnError, paramNames, prefixParams, subParams, taskLoss, type Episode, type InnerSolver, type Params, type TaskSpec } from '@metalearn/core';
import { createRidgeSolver, RIDGE_PARAMS, withBiasColumn } from '@metalearn/r2d2';
import { episode, onEveryBackend, relErr, ridgeReference, tinyBackbone } from './helpers.js';

const head = createLinearHead();

/** The meta-objective: query loss of the adapted solver, as a function of `backbone/...` and `solver/...`. */
function metaLoss(solver: InnerSolver, inputDim: number, featureDim: number, ep: Episode, task: TaskSpec, meta: Params): tf.Scalar {
  return tf.tidy(() => {
    const adaptation = solver.adapt({
      backbone: tinyBackbone(inputDim, featureDim),
      head,
      theta: prefixParams('backbone', subParams('backbone', meta)),
      solverParams: subParams('solver', meta),
      support: ep.support,
      task,
      metaTraining: true,
    });
    return taskLoss(task.kind, adaptation.predict(ep.query.x), ep.query.y);
  });
}

function initialMeta(solver: InnerSolver, inputDim: number, featureDim: number, task: TaskSpec, seed: number): Params {
  const theta = prefixParams('backbone', tinyBackbone(inputDim, featureDim).init(seed));
  return { ...theta, ...prefixParams('solver', solver.initParams(seed, theta, task)) };
}

test('predictions equal α [F_q, 1] W + β with W = (FᵀF + λI)⁻¹FᵀY from ml-matrix on the support features (Woodbury and primal regimes)', async (t) => {
  await onEveryBackend((backend) => {
    for (const featureDim of [3, 12]) {
      const task: TaskSpec = { kind: 'classification', ways: 3 };
      const ep = episode(7, 'classification', 3, 2, 4, 5);
      const solver = createRidgeSolver({ lambdaInit: 0.7, alphaInit: 1.3, betaInit: 0.2 });
      const bb = tinyBackbone(5, featureDim);
      const theta = prefixParams('backbone', bb.init(3));
      tf.tidy(() => {
        const solverParams = solver.initParams(0, theta, task);
        assert.deepEqual(paramNames(solverParams), ['alpha', 'beta', 'logLambda']);
        const pred = solver.adapt({ backbone: bb, head, theta, solverParams, support: ep.support, task, metaTraining: false }).predict(ep.query.x);
        assert.deepEqual(pred.shape, [12, 3]);
        const fs = withBiasColumn(bb.apply(subParams('backbone', theta), ep.support.x, { training: true })).arraySync();
        const fq = withBiasColumn(bb.apply(subParams('backbone', theta), ep.query.x, { training: true })).arraySync();
        const labels = ep.support.y.arraySync() as number[];
        const w = ridgeReference(fs, labels.map((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0))), 0.7);
        const ref = fq.flatMap((row) => [0, 1, 2].map((k) => 1.3 * row.reduce((s, v, d) => s + v * w[d]![k]!, 0) + 0.2));
        const err = relErr(pred.dataSync(), ref);
        t.diagnostic(`${backend} D+1 = ${featureDim + 1} vs N_s = 6 (${featureDim + 1 > 6 ? 'Woodbury' : 'primal'}): max rel. error ${err.toExponential(2)} (tolerance 2e-5)`);
        assert.ok(err < 2e-5, `${backend} featureDim ${featureDim}: ${err}`);
      });
      tf.dispose(Object.values(theta));
      disposeEpisode(ep);
    }
  });
});

/** Central differences of the meta-loss along every coordinate of every meta-parameter. */
function finiteDifferenceCheck(solver: InnerSolver, inputDim: number, featureDim: number, ep: Episode, task: TaskSpec, meta: Params, h: number) {
  const names = paramNames(meta);
  const grads = tf.tidy(() => {
    const xs = names.map((n) => meta[n]!);
    const g = tf.grads((...ts: tf.Tensor[]) => metaLoss(solver, inputDim, featureDim, ep, task, Object.fromEntries(names.map((n, i) => [n, ts[i]!]))))(xs);
    return g.map((x) => Array.from(x.dataSync()));
  });
  const lossAt = (name: string, k: number, delta: number): number =>
    tf.tidy(() => {
      const moved = { ...meta };
      const v = meta[name]!.dataSync().slice();
      v[k]! += delta;
      moved[name] = tf.tensor(v, meta[name]!.shape);
      return metaLoss(solver, inputDim, featureDim, ep, task, moved).dataSync()[0]!;
    });
  const rows: Array<{ name: string; k: number; analytic: number; fd: number }> = [];
  names.forEach((n, i) => {
    for (let k = 0; k < meta[n]!.size; k++) rows.push({ name: n, k, analytic: grads[i]![k]!, fd: (lossAt(n, k, h) - lossAt(n, k, -h)) / (2 * h) });
  });
  return rows;
}

for (const [kind, ways, shots, featureDim, form] of [['classification', 3, 2, 8, 'Woodbury (N_s = 6 < D + 1 = 9)'], ['regression', 2, 10, 4, 'primal (N_s = 10 > D + 1 = 5)']] as const) {
  test(`${kind}: meta-gradient w.r.t. backbone parameters, log λ, α, β equals central differences (h = 1e-2) on every coordinate — ${form}`, async (t) => {
    await onEveryBackend((backend) => {
      const inputDim = 3;
      const task: TaskSpec = { kind, ways };
      const ep = episode(11, kind, ways, shots, 5, inputDim);
      const solver = createRidgeSolver({ lambdaInit: 0.5, alphaInit: 2, betaInit: 0.1 });
      const meta = initialMeta(solver, inputDim, featureDim, task, 5);
      const rows = finiteDifferenceCheck(solver, inputDim, featureDim, ep, task, meta, 1e-2);
      // Pass when |g - fd| <= 2e-4 + 3e-3 |fd|: float32 loss rounding ~1e-7 |L| / h ~ 1e-5 and the
      // truncation h² |L'''| / 6 (measured: the worst regression error drops 4x, 9.4e-4 -> 2.4e-4,
      // from h = 1e-2 to 5e-3, as h² predicts).
      const worst = Math.max(...rows.map((r) => Math.abs(r.analytic - r.fd) / (2e-4 + 3e-3 * Math.abs(r.fd))));
      const worstAbs = Math.max(...rows.map((r) => Math.abs(r.analytic - r.fd)));
      const pick = (n: string) => rows.find((r) => r.name === n)!;
      const lam = pick(`solver/${RIDGE_PARAMS.logLambda}`);
      const beta = pick(`solver/${RIDGE_PARAMS.beta}`);
      t.diagnostic(`${backend}: ${rows.length} coordinates, max |g - fd| = ${worstAbs.toExponential(2)}, max |g - fd| / (2e-4 + 3e-3 |fd|) = ${worst.toFixed(3)} (pass <= 1); ∂L/∂logλ = ${lam.analytic.toExponential(4)} (fd ${lam.fd.toExponential(4)}); ∂L/∂β = ${beta.analytic.toExponential(2)} (fd ${beta.fd.toExponential(2)})`);
      assert.ok(worst <= 1, `${backend}: ${JSON.stringify(rows.filter((r) => Math.abs(r.analytic - r.fd) > 2e-4 + 3e-3 * Math.abs(r.fd)))}`);
      assert.ok(Math.abs(lam.analytic) > 1e-3, 'log λ matters');
      if (kind === 'classification') assert.ok(Math.abs(beta.analytic) < 1e-6, 'softmax is shift invariant: ∂L/∂β = 0');
      else assert.ok(Math.abs(beta.analytic) > 1e-3, 'β matters in regression');
      tf.dispose(Object.values(meta));
      disposeEpisode(ep);
    });
  });
}

test('second order through the solve: exact H v of the meta-loss w.r.t. backbone parameters and log λ equals the central FD of gradients', async (t) => {
  await onEveryBackend((backend) => {
    const task: TaskSpec = { kind: 'classification', ways: 3 };
    const ep = episode(13, 'classification', 3, 2, 4, 3);
    const solver = createRidgeSolver({ learnAlpha: false, learnBeta: false, alphaInit: 3 });
    const meta = initialMeta(solver, 3, 8, task, 9);
    assert.deepEqual(paramNames(meta), ['backbone/b', 'backbone/w', 'solver/logLambda']);
    tf.tidy(() => {
      const f = (p: Params) => metaLoss(solver, 3, 8, ep, task, p);
      const v: Params = Object.fromEntries(paramNames(meta).map((n, i) => [n, tf.randomNormal(meta[n]!.shape, 0, 1, 'float32', 40 + i)]));
      const exact = hessianVectorProduct(f, meta, v);
      const fd = hessianVectorProduct(f, meta, v, { mode: 'finiteDifference', scheme: 'central' });
      const flat = (p: Params) => paramNames(meta).flatMap((n) => Array.from(p[n]!.dataSync()));
      const err = relErr(flat(exact), flat(fd));
      t.diagnostic(`${backend}: max|Hv_exact - Hv_fd| / max|Hv_fd| = ${err.toExponential(2)} (tolerance 5e-3)`);
      assert.ok(err < 5e-3, `${backend}: ${err}`);
    });
    tf.dispose(Object.values(meta));
    disposeEpisode(ep);
  });
});

test('fixed seed → fixed numbers: query loss and ∂L/∂logλ of a seeded 3-way 2-shot task, on every backend', async (t) => {
  const seen: number[][] = [];
  await onEveryBackend((backend) => {
    const task: TaskSpec = { kind: 'classification', ways: 3 };
    const ep = episode(2024, 'classification', 3, 2, 5, 4);
    const solver = createRidgeSolver();
    const meta = initialMeta(solver, 4, 6, task, 2024);
    const [loss, gLambda] = tf.tidy(() => {
      const names = paramNames(meta);
      const { value, grads } = tf.engine().gradients(() => metaLoss(solver, 4, 6, ep, task, meta), names.map((n) => meta[n]!), undefined, true);
      return [value.dataSync()[0]!, grads[names.indexOf('solver/logLambda')]!.dataSync()[0]!];
    });
    t.diagnostic(`${backend}: loss ${loss}, ∂L/∂logλ ${gLambda}`);
    seen.push([loss, gLambda]);
    // Recorded on wasm (loss 1.1287124156951904, ∂L/∂logλ -0.01349444780498743); cpu gives
    // 1.12871253490448 and -0.013494456186890602 (float32 summation order): tolerance 1e-6.
    assert.ok(Math.abs(loss - 1.1287124156951904) < 1e-6, `${backend}: loss ${loss}`);
    assert.ok(Math.abs(gLambda - -0.01349444780498743) < 1e-6, `${backend}: ∂L/∂logλ ${gLambda}`);
    tf.dispose(Object.values(meta));
    disposeEpisode(ep);
  });
  assert.equal(seen.length, 2);
});

test('constants instead of learned parameters; validation of support sets and solverParams', async () => {
  await onEveryBackend(() => {
    const task: TaskSpec = { kind: 'classification', ways: 3 };
    const ep = episode(1, 'classification', 3, 2, 2, 3);
    const bb = tinyBackbone(3, 4);
    const theta = prefixParams('backbone', bb.init(1));
    const fixed = createRidgeSolver({ learnLambda: false, learnAlpha: false, learnBeta: false, lambdaInit: 2 });
    assert.deepEqual(paramNames(fixed.initParams(0, theta, task)), []);
    const learned = createRidgeSolver({ lambdaInit: 2, learnAlpha: false, learnBeta: false });
    tf.tidy(() => {
      const a = fixed.adapt({ backbone: bb, head, theta, solverParams: {}, support: ep.support, task, metaTraining: false }).predict(ep.query.x).dataSync();
      const sp = learned.initParams(0, theta, task);
      assert.ok(Math.abs(sp['logLambda']!.dataSync()[0]! - Math.log(2)) < 1e-7);
      const b = learned.adapt({ backbone: bb, head, theta, solverParams: sp, support: ep.support, task, metaTraining: false }).predict(ep.query.x).dataSync();
      assert.ok(relErr(a, b) < 1e-6, 'λ = exp(logLambda) = lambdaInit');
      const base = { backbone: bb, head, theta, task, metaTraining: true } as const;
      const is = (kind: 'shapeMismatch' | 'invalidArgument', re: RegExp) => (e: unknown) => MetaLearnError.is(e, kind) && re.test(e.message);
      assert.throws(() => learned.adapt({ ...base, solverParams: {}, support: ep.support }), is('invalidArgument', /^ridge.adapt: params has no 'logLambda'/));
      assert.throws(() => learned.adapt({ ...base, solverParams: { logLambda: tf.ones([2]) }, support: ep.support }), is('shapeMismatch', /solverParams.logLambda must be a float32 scalar/));
      assert.throws(() => learned.adapt({ ...base, solverParams: sp, support: { x: ep.support.x, y: tf.tensor1d([0, 1, 2, 3, 0, 1], 'int32') } }), is('invalidArgument', /support.y\[3\] must be a class in \[0, 3\), got 3/));
      assert.throws(() => learned.adapt({ ...base, solverParams: sp, support: { x: ep.support.x, y: tf.tensor1d([0, 1, 2], 'int32') } }), is('shapeMismatch', /support.y must be int32 \[6\] for classification/));
      assert.throws(() => learned.adapt({ ...base, solverParams: sp, task: { kind: 'regression', ways: 2 }, support: { x: ep.support.x, y: tf.ones([6, 3]) } }), is('shapeMismatch', /support.y must be float32 \[6, 2\] for regression/));
      assert.throws(() => learned.initParams(0, theta, { kind: 'classification', ways: 0 }), is('invalidArgument', /task.ways must be an integer >= 1/));
    });
    tf.dispose(Object.values(theta));
    disposeEpisode(ep);
  });
});
