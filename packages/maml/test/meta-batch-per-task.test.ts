// The backprop learner gives a meta-batch that does not run task-batched (Conv-4 has no
// applyTasks) one tape per task and sums the gradients, as PyTorch's per-task backward(), so one
// task's second-order graph is alive at a time (bench speed, Omniglot MAML-5: peak RSS 1150-1181
// -> 374 MiB; tf.profile's peakBytes does not show the difference, so it is not asserted here).
// Values: on a small strided Conv-4 (16x16x1, 8 filters, batch norm), 5-way 1-shot with 15
// queries per class, 2 inner steps, second order, the 4-task sums equal the sum of the 4
// single-task sums (float32 rounding of the summation order only: tolerance 1e-5 of each tensor's
// largest entry), the objective the sum of the 4 objectives (1e-6 relative) and the losses the
// single-task losses; no tensor leaks. On every backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, createConv4, createLearner, createLinearHead, disposeEpisode, initEngine, type Episode } from '@metalearn/core';
import { syntheticEpisode } from '@metalearn/core/testing';
import { createGradientSolver } from '@metalearn/maml';

const backends = await availableBackends();

test('second-order MAML on Conv-4: a 4-task meta-gradient (one tape per task) equals the sum of the single-task ones, on every backend', async (t) => {
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const start = tf.memory().numTensors;
    const learner = createLearner({
      backbone: createConv4({ inputShape: [16, 16, 1], filters: 8 }),
      head: createLinearHead(),
      solver: createGradientSolver({ innerSteps: 2, innerLr: 0.4, order: 'second' }),
      task: { kind: 'classification', ways: 5 },
      seed: 3,
      outerLr: 1e-3,
    });
    const tasks: Episode[] = Array.from({ length: 4 }, (_, i) =>
      syntheticEpisode(50 + i, { kind: 'classification', ways: 5, shots: 1, queryShots: 15, inputShape: [16, 16, 1] }),
    );
    const all = learner.metaGradient(tasks);
    const singles = tasks.map((task) => learner.metaGradient([task]));
    let worst = 0;
    for (const name of Object.keys(all.sums)) {
      const got = all.sums[name]!;
      const scale = Math.max(1e-12, ...Array.from(got, Math.abs));
      for (let j = 0; j < got.length; j++) {
        const want = singles.reduce((s, g) => s + g.sums[name]![j]!, 0);
        worst = Math.max(worst, Math.abs(got[j]! - want) / scale);
      }
    }
    const wantObjective = singles.reduce((s, g) => s + g.objective, 0);
    t.diagnostic(`${backend}: sums vs summed single-task sums, worst relative difference ${worst.toExponential(2)} (tolerance 1e-5); objective ${all.objective.toFixed(6)} vs ${wantObjective.toFixed(6)}`);
    assert.ok(worst < 1e-5, `${backend}: sums differ by ${worst}`);
    assert.ok(Math.abs(all.objective - wantObjective) <= 1e-6 * Math.abs(wantObjective), `${backend}: objective ${all.objective} vs ${wantObjective}`);
    assert.deepEqual(all.losses, singles.map((g) => g.losses[0]));
    tasks.forEach(disposeEpisode);
    learner.dispose();
    assert.equal(tf.memory().numTensors, start, `${backend}: leaked tensors`);
  }
});
