// First-order MAML's inner loop runs off the outer tape (core's withoutTape): the peak memory of a
// meta-gradient is flat in the number of inner steps, while second order keeps every step's
// activations alive until the outer gradient returns. Measured by tf.profile's peakBytes on an MLP
// whose activations dominate (4096 support and query points, 64 hidden units): first order's 16-step
// peak must stay within 1.25x its 1-step peak (measured 12.9 -> 14.4 MB: each step's fast weights
// stay alive for stepPredict; the same loop on the outer tape measured 35 -> 371 MB); second order at 16 steps must exceed 4x its 1-step peak
// (the measured figures are printed as diagnostics). The first-order meta-gradient's values stay
// those of the stopGradient definition (checked in gradient-solver.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, createLinearHead, createMlp, createRng, disposeParams, initEngine, initModel, taskLoss, type Params } from '@metalearn/core';
import { createGradientSolver } from '@metalearn/maml';

const backends = await availableBackends();

async function peakBytes(order: 'first' | 'second', steps: number): Promise<number> {
  const backbone = createMlp({ inputDim: 1, hiddenSizes: [64, 64], activation: 'relu' });
  const head = createLinearHead();
  const theta: Params = initModel(backbone, head, 3, 1);
  const rng = createRng(7);
  const pts = (n: number): number[] => Array.from({ length: n }, () => rng.uniform(-5, 5));
  const xs = tf.tensor2d(pts(4096), [4096, 1]);
  const xq = tf.tensor2d(pts(4096), [4096, 1]);
  const ys = tf.sin(xs);
  const yq = tf.sin(xq);
  const solver = createGradientSolver({ order, innerSteps: steps, innerLr: 0.01 });
  const names = Object.keys(theta).sort();
  const info = await tf.profile(() => {
    const { value, grads } = tf.engine().gradients(() => {
      const a = solver.adapt({ backbone, head, theta, solverParams: {}, support: { x: xs, y: ys }, task: { kind: 'regression', ways: 1 }, metaTraining: true, metaStep: 0 });
      return taskLoss('regression', a.predict(xq), yq);
    }, names.map((n) => theta[n]!));
    value.dispose();
    for (const g of grads) g?.dispose();
  });
  disposeParams(theta);
  for (const t of [xs, xq, ys, yq]) t.dispose();
  return info.peakBytes;
}

for (const backend of backends) {
  test(`first-order MAML: meta-gradient peak memory flat in the inner steps, second order grows (${backend})`, async (t) => {
    await initEngine({ backend, log: () => {} });
    const start = tf.memory().numTensors;
    const fo1 = await peakBytes('first', 1);
    const fo16 = await peakBytes('first', 16);
    const so1 = await peakBytes('second', 1);
    const so16 = await peakBytes('second', 16);
    t.diagnostic(`peak bytes: first order 1 step ${fo1}, 16 steps ${fo16}; second order 1 step ${so1}, 16 steps ${so16}`);
    assert.ok(fo16 <= 1.25 * fo1, `first order: 16-step peak ${fo16} <= 1.25x the 1-step peak ${fo1}`);
    assert.ok(so16 > 4 * so1, `second order: 16-step peak ${so16} > 4x the 1-step peak ${so1}`);
    assert.equal(tf.memory().numTensors, start, 'no tensor left');
  });
}
