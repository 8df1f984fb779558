// The task losses and stopGradient, on every backend: values against float64 closed forms,
// exact first and second derivatives (the cross-entropy Hessian against diag(p) - p pᵀ over B),
// argument validation, and no leaked tensors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { accuracy, availableBackends, initEngine, logSoftmax, meanSquaredError, MetaLearnError, softmaxCrossEntropy, stopGradient, taskLoss } from '@metalearn/core';

const backends = await availableBackends();

const LOGITS = [
  [2, 0, -1, 0.5],
  [-0.3, 1.2, 0.7, -2],
  [0, 0, 0, 0],
];
const LABELS = [0, 2, 3];

/** float64 softmax of a row. */
function softmax64(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

test('softmaxCrossEntropy: value, gradient (p - onehot)/B and Hessian (diag(p) - p pᵀ)/B are exact on every backend', async () => {
  const b = LOGITS.length;
  const n = LOGITS[0]!.length;
  const p = LOGITS.map(softmax64);
  const want = -LABELS.reduce((acc, y, i) => acc + Math.log(p[i]![y]!), 0) / b;
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const z = tf.tensor2d(LOGITS);
      const y = tf.tensor1d(LABELS, 'int32');
      const loss = (logits: tf.Tensor): tf.Scalar => softmaxCrossEntropy(logits, y);
      assert.ok(Math.abs(loss(z).dataSync()[0]! - want) < 1e-6, `${backend}: value`);
      const g = tf.grad(loss)(z).arraySync() as number[][];
      for (let i = 0; i < b; i++) for (let j = 0; j < n; j++) {
        const exact = (p[i]![j]! - (j === LABELS[i] ? 1 : 0)) / b;
        assert.ok(Math.abs(g[i]![j]! - exact) < 1e-7, `${backend}: dL/dz[${i}][${j}] = ${g[i]![j]}, exact ${exact}`);
      }
      // Hessian column by column: H e_k = ∇_z <∇_z L, e_k>.
      let worst = 0;
      for (let k = 0; k < b * n; k++) {
        const e = tf.reshape(tf.oneHot(tf.tensor1d([k], 'int32'), b * n), [b, n]);
        const ek = tf.cast(e, 'float32');
        const col = tf.grad((logits: tf.Tensor) => tf.sum(tf.mul(tf.grad(loss)(logits), ek)))(z).arraySync() as number[][];
        const [r, c] = [Math.floor(k / n), k % n];
        for (let i = 0; i < b; i++) for (let j = 0; j < n; j++) {
          const exact = i === r ? ((j === c ? p[i]![j]! : 0) - p[i]![j]! * p[i]![c]!) / b : 0;
          worst = Math.max(worst, Math.abs(col[i]![j]! - exact));
        }
      }
      assert.ok(worst < 1e-7, `${backend}: Hessian max error ${worst}`);
    });
    assert.equal(tf.memory().numTensors, before, `${backend}: leaked tensors`);
  }
});

test('softmaxCrossEntropy is stable for large logits (no overflow) and invariant to a per-row shift', async () => {
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    tf.tidy(() => {
      const y = tf.tensor1d([1, 0], 'int32');
      const big = softmaxCrossEntropy(tf.tensor2d([[1000, 1001, 990], [-1000, -1003, -1001]]), y).dataSync()[0]!;
      const small = softmaxCrossEntropy(tf.tensor2d([[0, 1, -10], [0, -3, -1]]), y).dataSync()[0]!;
      assert.ok(Number.isFinite(big) && Math.abs(big - small) < 1e-5, `${backend}: ${big} vs ${small}`);
      const g = tf.grad((z: tf.Tensor) => softmaxCrossEntropy(z, y))(tf.tensor2d([[1000, 1001, 990], [-1000, -1003, -1001]]));
      assert.ok(Array.from(g.dataSync()).every(Number.isFinite), `${backend}: finite gradient`);
      const ls = logSoftmax(tf.tensor2d([[1000, 1001, 990]])).dataSync();
      const want = softmax64([1000, 1001, 990]).map(Math.log);
      ls.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-4, `${backend}: logSoftmax[${i}] ${v} vs ${want[i]}`));
    });
  }
});

test('meanSquaredError: mean over B·D elements, gradient 2(pred - target)/(B·D), Hessian 2I/(B·D)', async () => {
  const pred = [[1, 2], [3, -1], [0.5, 0]];
  const target = [[0, 2.5], [1, -1], [2, 1]];
  const count = 6;
  const want = pred.flat().reduce((acc, v, i) => acc + (v - target.flat()[i]!) ** 2, 0) / count;
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const t = tf.tensor2d(target);
      const loss = (x: tf.Tensor): tf.Scalar => meanSquaredError(x, t);
      assert.ok(Math.abs(loss(tf.tensor2d(pred)).dataSync()[0]! - want) < 1e-6, `${backend}: value`);
      const g = tf.grad(loss)(tf.tensor2d(pred)).dataSync();
      g.forEach((v, i) => assert.ok(Math.abs(v - (2 * (pred.flat()[i]! - target.flat()[i]!)) / count) < 1e-7, `${backend}: grad[${i}]`));
      const v = tf.tensor2d([[1, -2], [0.5, 3], [0, 1]]);
      const hv = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.grad(loss)(x), v)))(tf.tensor2d(pred)).dataSync();
      hv.forEach((h, i) => assert.ok(Math.abs(h - (2 * v.dataSync()[i]!) / count) < 1e-7, `${backend}: Hv[${i}]`));
      assert.ok(Math.abs(taskLoss('regression', tf.tensor2d(pred), t).dataSync()[0]! - want) < 1e-6);
    });
    assert.equal(tf.memory().numTensors, before, `${backend}: leaked tensors`);
  }
});

test('accuracy counts argmax hits (ties to the lowest index) and returns a number; taskLoss dispatches on the task kind', async () => {
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const z = tf.tensor2d(LOGITS);
      // argmax rows: 0, 1, 0 (tie → 0); labels 0, 2, 3 → 1 hit of 3.
      assert.equal(accuracy(z, tf.tensor1d(LABELS, 'int32')), 1 / 3);
      assert.equal(accuracy(z, tf.tensor1d([0, 1, 0], 'int32')), 1);
      const ce = taskLoss('classification', z, tf.tensor1d(LABELS, 'int32')).dataSync()[0]!;
      assert.equal(ce, softmaxCrossEntropy(z, tf.tensor1d(LABELS, 'int32')).dataSync()[0]!);
    });
    assert.equal(tf.memory().numTensors, before, `${backend}: leaked tensors`);
  }
});

test('the losses reject wrong shapes, dtypes and out-of-range labels with MetaLearnError naming the argument', async () => {
  await initEngine({ backend: 'cpu', log: () => {} });
  tf.tidy(() => {
    const z = tf.tensor2d(LOGITS);
    const cases: Array<[() => unknown, string, string]> = [
      [() => softmaxCrossEntropy(tf.tensor1d([1, 2]), tf.tensor1d([0], 'int32')), 'shapeMismatch', 'logits'],
      [() => softmaxCrossEntropy(tf.cast(z, 'int32'), tf.tensor1d(LABELS, 'int32')), 'invalidArgument', 'logits'],
      [() => softmaxCrossEntropy(z, tf.tensor1d([0, 1], 'int32')), 'shapeMismatch', 'labels'],
      [() => softmaxCrossEntropy(z, tf.tensor1d([0, 1, 2], 'float32')), 'invalidArgument', 'labels'],
      [() => softmaxCrossEntropy(z, tf.tensor1d([0, 4, 1], 'int32')), 'invalidArgument', 'labels[1]'],
      [() => softmaxCrossEntropy(z, tf.tensor1d([0, -1, 1], 'int32')), 'invalidArgument', 'labels[1]'],
      [() => accuracy(z, tf.tensor1d([0, 1, 9], 'int32')), 'invalidArgument', 'labels[2]'],
      [() => meanSquaredError(tf.tensor2d([[1, 2]]), tf.tensor2d([[1], [2]])), 'shapeMismatch', 'target'],
      [() => meanSquaredError(tf.tensor1d([1, 2]), tf.tensor1d([1, 2])), 'shapeMismatch', 'pred'],
      [() => meanSquaredError(tf.tensor2d([[1, 2]]), tf.tensor2d([[1, 2]], [1, 2], 'int32')), 'invalidArgument', 'target'],
      [() => taskLoss('ranking' as never, z, z), 'invalidArgument', 'kind'],
      [() => stopGradient(3 as never), 'invalidArgument', 'x'],
    ];
    for (const [run, kind, arg] of cases) {
      assert.throws(run, (e: unknown) => MetaLearnError.is(e, kind as never) && (e as Error).message.includes(arg), `expected ${kind} naming ${arg}`);
    }
  });
});

test('stopGradient: identity forward, zero gradient at first and second order, usable inside losses', async () => {
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.tensor1d([0.5, -2, 3]);
      const y = stopGradient(x);
      assert.deepEqual(Array.from(y.dataSync()), [0.5, -2, 3]);
      assert.notEqual(y.id, x.id);
      assert.deepEqual(y.shape, x.shape);
      assert.equal(stopGradient(tf.tensor1d([1, 2], 'int32')).dtype, 'int32');
      // d/dx [x · sg(x)] = sg(x); d²/dx² = 0.
      const f = (u: tf.Tensor): tf.Scalar => tf.sum(tf.mul(u, stopGradient(u)));
      assert.deepEqual(Array.from(tf.grad(f)(x).dataSync()), [0.5, -2, 3]);
      const second = tf.grad((u: tf.Tensor) => tf.sum(tf.grad(f)(u)))(tf.tensor1d([0.5, -2, 3]));
      assert.deepEqual(Array.from(second.dataSync()), [0, 0, 0]);
      // The whole gradient through a stopped path is zero (not missing): d/dx sum(sg(x)²) + 0·x.
      const zero = tf.grad((u: tf.Tensor) => tf.add(tf.sum(tf.square(stopGradient(u))), tf.sum(tf.mul(u, 0))))(x);
      assert.deepEqual(Array.from(zero.dataSync()), [0, 0, 0]);
      // First-order MAML's detached inner gradient: d/dθ [θ - α sg(∇L(θ))] = 1.
      const inner = (th: tf.Tensor): tf.Scalar => tf.sum(tf.pow(th, tf.scalar(3)));
      const fo = tf.grad((th: tf.Tensor) => tf.sum(tf.sub(th, tf.mul(stopGradient(tf.grad(inner)(th)), 0.1))))(x);
      assert.deepEqual(Array.from(fo.dataSync()), [1, 1, 1]);
    });
    assert.equal(tf.memory().numTensors, before, `${backend}: leaked tensors`);
  }
});
