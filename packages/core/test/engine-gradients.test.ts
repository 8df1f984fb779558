// The gradient fixes on every backend: the doctor checks (the table of second derivatives that
// tfjs 4.22 gets wrong), first derivatives unchanged where tfjs's were right, no leaked tensors
// after grad-of-grad, and MAML's key property — the second-order meta-gradient of a one-step
// inner loop equals central finite differences of the meta-loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, createRng, gradientChecks, initEngine, runCheck, softmaxCrossEntropy, stopGradient } from '@metalearn/core';
import { maxAbsDiff, separated } from './engine-gradients-fd.js';

const backends = await availableBackends();

test('the gradient doctor checks pass on every backend, the table rows among them, and leave no tensor behind', async (t) => {
  assert.ok(backends.includes('cpu') && backends.includes('wasm'), backends.join());
  const names = gradientChecks.map((c) => c.name);
  for (const row of ['[tanh(x) + x²]', '[exp(x) + x²]', '[sigmoid(x) + x²]', 'd²/dx² tanh(x)', 'cross-entropy via logSumExp', 'softmaxCrossEntropy']) {
    assert.ok(names.some((n) => n.includes(row)), `a check for ${row}`);
  }
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory().numTensors;
    for (const check of gradientChecks) {
      const r = await runCheck(check);
      assert.equal(r.tolerance, 1e-4);
      assert.ok(r.pass, `${backend} ${r.name}: value ${r.value}, expected ${r.expected}, error ${r.error} ${r.message ?? ''}`);
      assert.ok(r.error! < 2e-7, `${backend} ${r.name}: error ${r.error}`);
    }
    assert.equal(tf.memory().numTensors, before, `${backend}: checks leaked tensors`);
    t.diagnostic(`${backend}: ${gradientChecks.length} checks pass, worst error ${Math.max(...(await Promise.all(gradientChecks.map(runCheck))).map((r) => r.error!)).toExponential(2)}`);
  }
});

/** f64 closed forms of the first derivatives tfjs's own gradients compute (where they are right). */
const closedForms: Array<[string, (x: tf.Tensor) => tf.Tensor, (x: number) => number, [number, number]]> = [
  ['exp', tf.exp, Math.exp, [-1, 1]],
  ['tanh', tf.tanh, (x) => 1 - Math.tanh(x) ** 2, [-2, 2]],
  ['sigmoid', tf.sigmoid, (x) => Math.exp(-x) / (1 + Math.exp(-x)) ** 2, [-3, 3]],
  ['softplus', tf.softplus, (x) => 1 / (1 + Math.exp(-x)), [-3, 3]],
  ['log', tf.log, (x) => 1 / x, [0.5, 2]],
  ['sqrt', tf.sqrt, (x) => 0.5 / Math.sqrt(x), [0.5, 2]],
  ['rsqrt', tf.rsqrt, (x) => -0.5 * x ** -1.5, [0.5, 2]],
  ['reciprocal', tf.reciprocal, (x) => -1 / (x * x), [0.5, 2]],
  ['sin', tf.sin, Math.cos, [-2, 2]],
  ['cos', tf.cos, (x) => -Math.sin(x), [-2, 2]],
  ['atan', tf.atan, (x) => 1 / (1 + x * x), [-2, 2]],
  ['erf', tf.erf, (x) => (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x), [-2, 2]],
  ['elu', tf.elu, (x) => (x > 0 ? 1 : Math.exp(x)), [-2, 2]],
  ['selu', tf.selu, (x) => 1.0507009873554804 * (x > 0 ? 1 : 1.6732632423543772 * Math.exp(x)), [-2, 2]],
  ['relu', tf.relu, (x) => (x > 0 ? 1 : 0), [-2, 2]],
  ['relu6', tf.relu6, (x) => (x > 0 && x <= 6 ? 1 : 0), [-2, 8]],
  ['abs', tf.abs, Math.sign, [-2, 2]],
];

test('first derivatives are the closed forms tfjs computes, and the pooling/LRN/ELU gradients equal the native backward kernels where those are right', async (t) => {
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory().numTensors;
    for (const [name, op, d, [lo, hi]] of closedForms) {
      const xs = Array.from({ length: 16 }, (_, i) => lo + ((hi - lo) * (i + 0.5)) / 16);
      const g = tf.tidy(() => Array.from(tf.grad((x: tf.Tensor) => tf.sum(op(x)))(tf.tensor1d(xs)).dataSync()));
      xs.forEach((x, i) => {
        const want = d(Math.fround(x));
        assert.ok(Math.abs(g[i]! - want) <= 2e-6 * Math.max(1, Math.abs(want)), `${backend} d${name}(${x}) = ${g[i]}, closed form ${want}`);
      });
    }
    const rng = createRng(7);
    tf.tidy(() => {
      // MaxPool, one channel (the wasm MaxPoolGrad kernel is right only for C = 1).
      const x = separated(rng, [2, 6, 7, 1], -2, 0.05) as tf.Tensor4D;
      const y = tf.maxPool(x, 2, 2, 'valid');
      const dy = separated(rng, y.shape, -1, 0.1);
      const ours = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid'), dy)))(x);
      const native = tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor;
      assert.equal(maxAbsDiff(ours, native), 0, `${backend}: maxPool gradient vs MaxPoolGrad`);
      // Overlapping windows (3x3, stride 2, 'same'): our explicit selection path vs the native kernel.
      const x3 = separated(rng, [2, 7, 6, 3], -2, 0.02) as tf.Tensor4D;
      const y3 = tf.maxPool(x3, 3, 2, 'same');
      const dy3 = separated(rng, y3.shape, 0.05, 0.1);
      const ours3 = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(v as tf.Tensor4D, 3, 2, 'same'), dy3)))(x3);
      const native3 = tf.engine().runKernel('MaxPoolGrad', { dy: dy3, input: x3, output: y3 }, { filterSize: 3, strides: 2, pad: 'same' }) as tf.Tensor;
      assert.ok(maxAbsDiff(ours3, native3) < 1e-6, `${backend}: overlapping maxPool gradient vs MaxPoolGrad: ${maxAbsDiff(ours3, native3)}`);
      // AvgPool 'valid': identical to AvgPoolGrad (which is wrong only at 'same' borders).
      const xa = tf.tensor4d(Array.from({ length: 2 * 4 * 6 * 2 }, (_, i) => Math.sin(i)), [2, 4, 6, 2]);
      const ya = tf.avgPool(xa, [2, 3], [2, 3], 'valid');
      const dya = tf.tensor4d(Array.from({ length: ya.size }, (_, i) => Math.cos(i)), ya.shape as [number, number, number, number]);
      const oursA = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(v as tf.Tensor4D, [2, 3], [2, 3], 'valid'), dya)))(xa);
      const nativeA = tf.engine().runKernel('AvgPoolGrad', { dy: dya, input: xa }, { filterSize: [2, 3], strides: [2, 3], pad: 'valid' }) as tf.Tensor;
      assert.ok(maxAbsDiff(oursA, nativeA) < 1e-7, `${backend}: avgPool gradient vs AvgPoolGrad`);
      // LRN and ELU against their native backward kernels.
      const xl = tf.tensor4d(Array.from({ length: 2 * 2 * 7 }, (_, i) => Math.sin(3 * i)), [1, 2, 2, 7]);
      const yl = tf.localResponseNormalization(xl, 2, 1.5, 0.3, 0.75);
      const dyl = tf.tensor4d(Array.from({ length: yl.size }, (_, i) => Math.cos(i)), [1, 2, 2, 7]);
      const oursL = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.localResponseNormalization(v as tf.Tensor4D, 2, 1.5, 0.3, 0.75), dyl)))(xl);
      const nativeL = tf.engine().runKernel('LRNGrad', { x: xl, y: yl, dy: dyl }, { depthRadius: 2, bias: 1.5, alpha: 0.3, beta: 0.75 }) as tf.Tensor;
      assert.ok(maxAbsDiff(oursL, nativeL) < 1e-6, `${backend}: LRN gradient vs LRNGrad ${maxAbsDiff(oursL, nativeL)}`);
      const xe = tf.tensor1d([-2, -0.5, 0.3, 2]);
      const dye = tf.tensor1d([1, -2, 3, 0.5]);
      const oursE = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.elu(v), dye)))(xe);
      const nativeE = tf.engine().runKernel('EluGrad', { dy: dye, y: tf.elu(xe) }) as tf.Tensor;
      assert.ok(maxAbsDiff(oursE, nativeE) < 1e-7, `${backend}: elu gradient vs EluGrad`);
      // Softmax against tfjs's formula on the output: p ⊙ (dy - Σ dy ⊙ p).
      const z = tf.tensor2d([[0.5, -1, 2], [0, 0.1, -0.3]]);
      const dz = tf.tensor2d([[1, 2, -1], [0.5, -0.5, 3]]);
      const p = tf.softmax(z);
      const want = tf.mul(p, tf.sub(dz, tf.sum(tf.mul(dz, p), 1, true)));
      assert.ok(maxAbsDiff(tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.softmax(v), dz)))(z), want) < 1e-7, `${backend}: softmax gradient`);
    });
    assert.equal(tf.memory().numTensors, before, `${backend}: leaked tensors`);
  }
});

test('grad-of-grad through a conv/pool/batch-norm/MLP/cross-entropy graph returns tf.memory().numTensors to its start', async () => {
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const rng = createRng(3);
    const x = tf.tensor4d(Array.from({ length: 2 * 4 * 4 * 2 }, () => rng.normal()), [2, 4, 4, 2]);
    const w = tf.tensor4d(Array.from({ length: 3 * 3 * 2 * 3 }, () => 0.3 * rng.normal()), [3, 3, 2, 3]);
    const dense = tf.tensor2d(Array.from({ length: 12 * 3 }, () => 0.3 * rng.normal()), [12, 3]);
    const labels = tf.tensor1d([0, 2], 'int32');
    const gamma = tf.ones([3]);
    const beta = tf.zeros([3]);
    const before = tf.memory().numTensors;
    // Loss as a function of the input only (conv filter gradients need the engine's Conv2DBackpropFilter fix).
    const loss = (input: tf.Tensor): tf.Scalar => {
      const h = tf.conv2d(input as tf.Tensor4D, w, 1, 'same');
      const { mean, variance } = tf.moments(h, [0, 1, 2]);
      const n = tf.elu(tf.batchNorm(h, mean, variance, beta, gamma, 1e-3));
      const pooled = tf.maxPool(n as tf.Tensor4D, 2, 2, 'valid');
      const logits = tf.matMul(tf.reshape(tf.tanh(pooled), [2, 12]), dense);
      return softmaxCrossEntropy(logits, labels);
    };
    const v = tf.onesLike(x);
    const hvp = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.grad(loss)(input), v)))(x);
    assert.ok(Number.isFinite(tf.tidy(() => tf.sum(tf.abs(hvp)).dataSync()[0]!)));
    hvp.dispose();
    // stopGradient inside a doubly differentiated graph.
    const g2 = tf.grad(tf.grad((u: tf.Tensor) => tf.sum(tf.mul(tf.square(u), stopGradient(u)))))(tf.tensor1d([0.5, 2]));
    assert.deepEqual(Array.from(g2.dataSync()), [1, 4]);
    g2.dispose();
    // Only the direction v and the tensor1d input above remain (grad does not dispose its inputs).
    assert.equal(tf.memory().numTensors, before + 2, `${backend}: tensors after grad-of-grad`);
    tf.dispose([x, w, dense, labels, gamma, beta, v]);
    tf.disposeVariables();
  }
});

/** Parameters of a 2-layer tanh MLP, flattened in the order W1 [D, H], b1 [H], W2 [H, N], b2 [N]. */
interface Mlp { readonly d: number; readonly h: number; readonly n: number }
function unflatten(theta: tf.Tensor, m: Mlp): [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D] {
  const sizes = [m.d * m.h, m.h, m.h * m.n, m.n];
  const [w1, b1, w2, b2] = tf.split(theta, sizes);
  return [tf.reshape(w1!, [m.d, m.h]), b1 as tf.Tensor1D, tf.reshape(w2!, [m.h, m.n]), b2 as tf.Tensor1D];
}
function mlpLoss(theta: tf.Tensor, x: tf.Tensor2D, y: tf.Tensor1D, m: Mlp): tf.Scalar {
  const [w1, b1, w2, b2] = unflatten(theta, m);
  const hidden = tf.tanh(tf.add(tf.matMul(x, w1), b1));
  return softmaxCrossEntropy(tf.add(tf.matMul(hidden, w2), b2), y);
}

test('MAML: the second-order meta-gradient of a 1-step inner loop (tanh MLP, cross-entropy) equals central differences of the meta-loss', async (t) => {
  const m: Mlp = { d: 3, h: 5, n: 3 };
  const innerLr = 0.8;
  const size = m.d * m.h + m.h + m.h * m.n + m.n;
  const rng = createRng(11);
  const thetaValues = Array.from({ length: size }, () => 0.7 * rng.normal());
  const supportX = Array.from({ length: 6 * m.d }, () => rng.normal());
  const queryX = Array.from({ length: 6 * m.d }, () => rng.normal());
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory().numTensors;
    const [exact, firstOrder, fd] = tf.tidy(() => {
      const sx = tf.tensor2d(supportX, [6, m.d]);
      const sy = tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32');
      const qx = tf.tensor2d(queryX, [6, m.d]);
      const qy = tf.tensor1d([2, 1, 0, 0, 2, 1], 'int32');
      // phi = theta - innerLr ∇L_support(theta); meta-loss = L_query(phi).
      const metaLoss = (theta: tf.Tensor, detachInner = false): tf.Scalar => {
        const g = tf.grad((th: tf.Tensor) => mlpLoss(th, sx, sy, m))(theta);
        const phi = tf.sub(theta, tf.mul(detachInner ? stopGradient(g) : g, innerLr));
        return mlpLoss(phi, qx, qy, m);
      };
      const theta = tf.tensor1d(thetaValues);
      const exactG = Array.from(tf.grad((th: tf.Tensor) => metaLoss(th))(theta).dataSync());
      const firstOrderG = Array.from(tf.grad((th: tf.Tensor) => metaLoss(th, true))(theta).dataSync());
      // Central differences, one coordinate at a time, h = 1e-2 (float32: error ~1e-5 here).
      const h = 1e-2;
      const fdG = thetaValues.map((_, i) => {
        const plus = thetaValues.slice();
        const minus = thetaValues.slice();
        plus[i]! += h;
        minus[i]! -= h;
        return (metaLoss(tf.tensor1d(plus)).dataSync()[0]! - metaLoss(tf.tensor1d(minus)).dataSync()[0]!) / (2 * h);
      });
      return [exactG, firstOrderG, fdG];
    });
    assert.equal(tf.memory().numTensors, before, `${backend}: leaked tensors`);
    const errExact = Math.max(...exact.map((g, i) => Math.abs(g - fd[i]!)));
    const errFirstOrder = Math.max(...firstOrder.map((g, i) => Math.abs(g - fd[i]!)));
    const scale = Math.max(...fd.map(Math.abs));
    t.diagnostic(`${backend}: max |meta-grad - FD| = ${errExact.toExponential(2)} (first-order MAML: ${errFirstOrder.toExponential(2)}; max |FD| = ${scale.toFixed(3)})`);
    assert.ok(errExact < 5e-4, `${backend}: second-order meta-gradient vs finite differences: ${errExact}`);
    // The test has power: dropping the Hessian term (first-order MAML) is visibly wrong.
    assert.ok(errFirstOrder > 50 * errExact && errFirstOrder > 1e-2, `${backend}: first-order error ${errFirstOrder} should be far above ${errExact}`);
  }
});
