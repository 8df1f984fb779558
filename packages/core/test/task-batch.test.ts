// The task-batched building blocks, each checked against its per-task counterpart (the reference),
// on every backend, with no leaked tensor:
// - denseTasks with per-task and shared kernels/biases equals dense task by task;
// - the MLP's applyTasks (with per-task, shared and mixed parameters, and with per-task contexts)
//   and the linear head's applyTasks equal apply task by task; applyModelTasks composes them, and
//   refuses Conv-4 (no applyTasks) with MetaLearnError 'unsupported';
// - tileForTasks repeats a tensor and its gradient is the sum over tasks;
// - taskBatchLosses equals taskLoss per task (MSE, cross-entropy) and taskBatchHits countHits;
// - uniformMetaBatch tells same-shaped meta-batches apart.
// Tolerance: max |batched - per task| <= 1e-6 * max(1, max |per task|) (float32; the products
// differ only in summation order, measured 0 to 2e-7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  MetaLearnError, applyModel, applyModelTasks, countHits, createConv4, createLinearHead, createMlp, createRng, dense, denseTasks,
  disposeEpisode, initModel, supportsTaskBatch, taskBatchHits, taskBatchLosses, taskLoss, tileForTasks, uniformMetaBatch,
  type Params,
} from '@metalearn/core';
import { sinusoidEpisodes } from '@metalearn/core/testing';
import { onEveryBackend } from './helpers.js';

const TOL = 1e-6;

function randn(rng: ReturnType<typeof createRng>, shape: number[], scale = 1): tf.Tensor {
  return tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * rng.normal()), shape, 'float32');
}

function assertClose(a: tf.Tensor, b: tf.Tensor, what: string): void {
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
  const s = tf.tidy(() => tf.max(tf.abs(b)).dataSync()[0]!);
  assert.ok(d <= TOL * Math.max(1, s), `${what}: max |batched - per task| = ${d} (scale ${s})`);
}

/** Per-task parameters `[T, ...shape]`: theta plus a different perturbation for every task. */
function perTask(theta: Params, tasks: number, rng: ReturnType<typeof createRng>, names?: (n: string) => boolean): Params {
  return Object.fromEntries(Object.entries(theta).map(([n, t]) => [
    n,
    names === undefined || names(n) ? tf.add(tileForTasks(t, tasks), randn(rng, [tasks, ...t.shape], 0.2)) : t,
  ]));
}

/** Task t's parameters: slice t of a per-task tensor, a shared tensor as is. */
function slice(params: Params, theta: Params, t: number): Params {
  return Object.fromEntries(Object.entries(params).map(([n, p]) => [n, p.rank === theta[n]!.rank ? p : tf.gather(p, t)]));
}

test('denseTasks equals dense task by task (per-task and shared kernels and biases) and checks shapes', async () => {
  await onEveryBackend((backend) => {
    tf.tidy(() => {
      const rng = createRng(1);
      const [T, B, I, O] = [4, 5, 3, 6];
      const x = randn(rng, [T, B, I]) as tf.Tensor3D;
      const kernels = { perTask: randn(rng, [T, I, O]), shared: randn(rng, [I, O]) };
      const biases = { perTask: randn(rng, [T, O]), shared: randn(rng, [O]), none: undefined };
      for (const [kn, k] of Object.entries(kernels)) {
        for (const [bn, b] of Object.entries(biases)) {
          const y = denseTasks(x, k, b, 'test');
          const ref = tf.stack(Array.from({ length: T }, (_, t) => dense(tf.gather(x, t) as tf.Tensor as tf.Tensor2D, k.rank === 3 ? tf.gather(k, t) : k, b === undefined ? undefined : b.rank === 2 ? tf.gather(b, t) : b)));
          assertClose(y, ref, `${backend} kernel ${kn}, bias ${bn}`);
        }
      }
      assert.throws(() => denseTasks(x, randn(rng, [T + 1, I, O]), undefined, 'f'), (e: unknown) => MetaLearnError.is(e) && e.kind === 'shapeMismatch' && /f: kernel must be float32 \[4, 3, O\]/.test(e.message));
      assert.throws(() => denseTasks(x, kernels.shared, randn(rng, [T, O + 1]), 'f'), /f: bias must be float32 \[4, 6\] \(per task\) or \[6\]/);
    });
  });
});

test("the MLP's and linear head's applyTasks equal apply task by task (per-task, shared and mixed parameters, contexts)", async () => {
  await onEveryBackend((backend) => {
    tf.tidy(() => {
      const rng = createRng(2);
      const T = 3;
      const B = 4;
      const backbone = createMlp({ inputDim: 2, hiddenSizes: [5, 7], activation: 'tanh', weightStd: 0.5 });
      const head = createLinearHead({ init: 'normal', std: 0.5 });
      const theta = initModel(backbone, head, 0, 3);
      const x = randn(rng, [T, B, 2]);
      const cases: [string, Params][] = [
        ['per task', perTask(theta, T, rng)],
        ['shared', theta],
        ['ANIL-like (head per task, backbone shared)', perTask(theta, T, rng, (n) => n.startsWith('head/'))],
      ];
      assert.ok(supportsTaskBatch(backbone, head));
      for (const [label, params] of cases) {
        const y = applyModelTasks(backbone, head, params, x, { training: true });
        const ref = tf.stack(Array.from({ length: T }, (_, t) => applyModel(backbone, head, slice(params, theta, t), tf.gather(x, t), { training: true })));
        assertClose(y, ref, `${backend} ${label}`);
      }
      // A head without bias.
      const noBias = createLinearHead({ bias: false });
      const hp = perTask(noBias.init(0, 7, 2), T, rng);
      const f = randn(rng, [T, B, 7]) as tf.Tensor3D;
      assertClose(noBias.applyTasks!(hp, f), tf.stack(Array.from({ length: T }, (_, t) => noBias.apply(slice(hp, noBias.init(0, 7, 2), t), tf.gather(f, t) as tf.Tensor as tf.Tensor2D))), `${backend} linear head without bias`);
      // Per-task contexts (CAVIA's MLP): [T, C] and [T, B, C].
      const cav = createMlp({ inputDim: 2, hiddenSizes: [5], contextDim: 2, activation: 'tanh', weightStd: 0.5 });
      const cp = cav.init(1);
      const ctx = randn(rng, [T, 2]);
      const refC = tf.stack(Array.from({ length: T }, (_, t) => cav.apply(cp, tf.gather(x, t), { training: true, context: tf.gather(ctx, t) })));
      assertClose(cav.applyTasks!(cp, x, { training: true, context: ctx }), refC, `${backend} context [T, C]`);
      assertClose(cav.applyTasks!(cp, x, { training: true, context: tf.tile(tf.reshape(ctx, [T, 1, 2]), [1, B, 1]) }), refC, `${backend} context [T, B, C]`);
      assert.throws(() => cav.applyTasks!(cp, x, { training: true, context: tf.zeros([2]) }), /mlp\.applyTasks: ctx\.context must be float32 \[3, 2\] or \[3, 4, 2\]/);
      assert.throws(() => backbone.applyTasks!(theta, tf.zeros([T, B, 3]), { training: true }), (e: unknown) => MetaLearnError.is(e) && e.kind === 'shapeMismatch' && /x must be float32 \[T, B, 2\]/.test(e.message));
      assert.throws(() => head.applyTasks!(subHead(theta), tf.zeros([T, B, 4]) as tf.Tensor3D), /linear\.applyTasks: features must be float32 \[T, B, 7\]/);
    });
  });
});

function subHead(theta: Params): Params {
  return { weight: theta['head/weight']!, bias: theta['head/bias']! };
}

test('applyModelTasks refuses a backbone without applyTasks (Conv-4) with MetaLearnError unsupported', async () => {
  const conv = createConv4({ inputShape: [6, 6, 1], filters: 2 });
  const head = createLinearHead();
  assert.equal(supportsTaskBatch(conv, head), false);
  await onEveryBackend(() => {
    tf.tidy(() => {
      const theta = initModel(conv, head, 0, 2);
      assert.throws(() => applyModelTasks(conv, head, theta, tf.zeros([2, 3, 6, 6, 1]), { training: true }),
        (e: unknown) => MetaLearnError.is(e) && e.kind === 'unsupported' && /backbone 'conv4' has no applyTasks/.test(e.message));
    });
  });
});

test('tileForTasks repeats t over T tasks; its gradient is the sum over tasks', async () => {
  await onEveryBackend((backend) => {
    tf.tidy(() => {
      const rng = createRng(3);
      const t = randn(rng, [3, 2]);
      const w = randn(rng, [4, 3, 2]);
      const tiled = tileForTasks(t, 4);
      assertClose(tiled, tf.stack([t, t, t, t]), `${backend} values`);
      const g = tf.grad((u: tf.Tensor) => tf.sum(tf.mul(tileForTasks(u, 4), w)))(t);
      assertClose(g, tf.sum(w, 0), `${backend} gradient = Σ_t w_t`);
      assert.throws(() => tileForTasks(t, 0), /tileForTasks: tasks must be an integer >= 1, got 0/);
    });
  });
});

test('taskBatchLosses equals taskLoss per task (MSE and cross-entropy); taskBatchHits equals countHits', async () => {
  await onEveryBackend((backend) => {
    tf.tidy(() => {
      const rng = createRng(4);
      const [T, N, O] = [5, 6, 3];
      const pred = randn(rng, [T, N, O], 2);
      const target = randn(rng, [T, N, O]);
      const labels = tf.tensor2d(Array.from({ length: T * N }, (_, i) => (i * 7) % O), [T, N], 'int32');
      const mse = taskBatchLosses('regression', pred, target);
      const ce = taskBatchLosses('classification', pred, labels);
      const refMse = tf.stack(Array.from({ length: T }, (_, t) => taskLoss('regression', tf.gather(pred, t), tf.gather(target, t))));
      const refCe = tf.stack(Array.from({ length: T }, (_, t) => taskLoss('classification', tf.gather(pred, t), tf.gather(labels, t))));
      assertClose(mse, refMse, `${backend} MSE`);
      assertClose(ce, refCe, `${backend} cross-entropy`);
      const hits = taskBatchHits(pred, labels);
      assert.deepEqual(Array.from(hits.dataSync()), Array.from({ length: T }, (_, t) => countHits(tf.gather(pred, t), tf.gather(labels, t)).dataSync()[0]));
      assert.ok(new Set(Array.from(ce.dataSync())).size === T, 'the tasks have different losses');
      assert.throws(() => taskBatchLosses('classification', pred, tf.fill([T, N], 3, 'int32')), /taskBatchLosses: y\[0, 0\] must be in \[0, 3\), got 3/);
      assert.throws(() => taskBatchLosses('regression', pred, tf.zeros([T, N, 1])), (e: unknown) => MetaLearnError.is(e) && e.kind === 'shapeMismatch');
      assert.throws(() => taskBatchLosses('regression', tf.zeros([T, N]), tf.zeros([T, N])), /pred must be float32 \[T, N, O\]/);
    });
  });
});

test('uniformMetaBatch: true for same-shaped tasks, false for an empty batch or differing shapes', () => {
  const same = sinusoidEpisodes(1, 3, 10);
  const other = sinusoidEpisodes(2, 1, 5);
  assert.equal(uniformMetaBatch(same), true);
  assert.equal(uniformMetaBatch([]), false);
  assert.equal(uniformMetaBatch([...same, ...other]), false);
  [...same, ...other].forEach(disposeEpisode);
});
