// A third-party inner solver, written outside the packages against core's public interfaces only:
// registered in its own ContainerModule, loaded beside every first-party module, resolved by
// name the way the CLI resolves parts, and run through core's conformance suite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  coreModule, createConv4, createLearner, createMlp, createLinearHead, createPluginContainer, disposeParams, initEngine, listPlugins,
  MetaLearnError, pluginModule, resolvePlugin, subParams, type InnerSolver, type InnerSolverPlugin,
} from '@metalearn/core';
import { describeLearnerConformance, describeSolverConformance, syntheticEpisode, syntheticEpisodes } from '@metalearn/core/testing';
import { mamlModule } from '@metalearn/maml';
import { reptileModule } from '@metalearn/reptile';
import { r2d2Module } from '@metalearn/r2d2';
import { metaoptnetModule } from '@metalearn/metaoptnet';
import { imamlModule } from '@metalearn/imaml';
import { caviaModule } from '@metalearn/cavia';
import { datasetsModule } from '@metalearn/datasets';

/**
 * Nearest class mean on the backbone's features (a prototypical head; Snell et al. 2017 with a
 * learned temperature): prototypes `p_c = mean_{i: y_i = c} f(x_i)`, logits
 * `z_c(x) = -exp(s) ||f(x) - p_c||^2` with one solver meta-parameter `logScale = s` (init 0).
 * The model's head is not used. Regression is unsupported.
 */
function createNearestClassMeanSolver(): InnerSolver {
  return {
    name: 'nearest-class-mean',
    initParams: () => ({ logScale: tf.scalar(0) }),
    adapt({ backbone, theta, solverParams, support, task }) {
      if (task.kind !== 'classification') {
        throw new MetaLearnError('unsupported', `nearest-class-mean.adapt: task.kind must be 'classification', got '${task.kind}'`);
      }
      if (support.y.dtype !== 'int32' || support.y.rank !== 1 || support.y.shape[0] !== support.x.shape[0]) {
        throw new MetaLearnError('shapeMismatch', `nearest-class-mean.adapt: support.y must be int32 [${support.x.shape[0]}], got ${support.y.dtype} [${support.y.shape.join(', ')}]`);
      }
      const counts = tf.tidy(() => Array.from(tf.sum(tf.oneHot(support.y as tf.Tensor1D, task.ways), 0).dataSync()));
      const empty = counts.findIndex((c) => c === 0);
      if (empty >= 0) throw new MetaLearnError('notEnoughExamples', `nearest-class-mean.adapt: class ${empty} has no support example`);
      const thetaB = subParams('backbone', theta);
      const logScale = solverParams['logScale']!;
      const ctx = { training: true };
      const prototypes = tf.tidy(() => {
        const onehot = tf.cast(tf.oneHot(support.y as tf.Tensor1D, task.ways), 'float32');
        const f = backbone.apply(thetaB, support.x, ctx);
        return tf.div(tf.matMul(onehot, f, true, false), tf.reshape(tf.tensor1d(counts), [task.ways, 1])) as tf.Tensor2D;
      });
      return {
        predict: (x) => tf.tidy(() => {
          const f = backbone.apply(thetaB, x, ctx);
          const d2 = tf.add(tf.sub(tf.sum(tf.square(f), 1, true), tf.mul(2, tf.matMul(f, prototypes, false, true))), tf.reshape(tf.sum(tf.square(prototypes), 1), [1, task.ways]));
          return tf.mul(tf.neg(tf.exp(logScale)), d2) as tf.Tensor2D;
        }),
      };
    },
  };
}

const ncmPlugin: InnerSolverPlugin = {
  kind: 'innerSolver',
  name: 'nearest-class-mean',
  summary: 'prototypes = mean support features per class, logits = -exp(logScale) * squared distance',
  provider: 'acme-few-shot',
  create(options) {
    if (options !== undefined && Object.keys(options).length > 0) {
      throw new MetaLearnError('invalidArgument', `nearest-class-mean plugin: takes no options, got ${Object.keys(options).join(', ')}`);
    }
    return createNearestClassMeanSolver();
  },
};
const acmeModule = pluginModule([ncmPlugin]);

await initEngine({ log: () => {} });
const container = createPluginContainer(coreModule, mamlModule, reptileModule, r2d2Module, metaoptnetModule, imamlModule, caviaModule, datasetsModule, acmeModule);
const resolved = resolvePlugin(container, 'innerSolver', 'nearest-class-mean');

test('the third-party solver loads beside every first-party module, is listed with its kind and resolves by name', () => {
  assert.equal(resolved, ncmPlugin);
  assert.ok(listPlugins(container, 'innerSolver').some((p) => p.name === 'nearest-class-mean' && p.provider === 'acme-few-shot'));
  assert.ok(listPlugins(container, 'backbone').some((p) => p.name === 'conv4'));
  assert.throws(() => resolved.create({ temperature: 2 }), (e) => MetaLearnError.is(e, 'invalidArgument'));
  // Its name cannot be taken twice.
  assert.throws(() => createPluginContainer(coreModule, acmeModule, pluginModule([{ ...ncmPlugin, provider: 'copycat' }])), (e) => MetaLearnError.is(e, 'duplicatePlugin'));
});

test('the third-party solver computes prototypes and -exp(s) d^2 logits as stated, and refuses regression with unsupported', () => {
  const solver = resolved.create(undefined);
  const backbone = createConv4({ inputShape: [6, 6, 1], filters: 2, blocks: 1, batchNorm: false, activation: 'linear', pooling: 'flatten' });
  // One block, no batch norm, linear: features are conv(x) + bias; with a kernel that only has a 1 at the centre for filter 0
  // and zeros elsewhere, f(x) = x subsampled at stride 2 for filter 0 and 0 for filter 1 (3*3*2 = 18 features).
  const kernel = tf.tensor4d(Array.from({ length: 18 }, (_, i) => (i === 4 * 2 ? 1 : 0)), [3, 3, 1, 2]);
  const theta = { 'backbone/conv1/kernel': kernel, 'backbone/conv1/bias': tf.zeros([2]) };
  const ep = syntheticEpisode(1, { kind: 'classification', ways: 2, shots: 2, queryShots: 1, inputShape: [6, 6, 1] });
  const logits = tf.tidy(() => solver.adapt({ backbone, head: resolvePlugin(container, 'head', 'linear').create(undefined), theta, solverParams: { logScale: tf.scalar(Math.log(0.5)) }, support: ep.support, task: { kind: 'classification', ways: 2 }, metaTraining: false }).predict(ep.query.x).arraySync());
  // Reference by hand: 'same' padding of 6 with stride 2 pads one row/column at the bottom/right only, so the
  // kernel centre reads x[2i + 1, 2j + 1]: features = x[:, 1::2, 1::2, 0] interleaved with zeros (filter 1).
  const feat = (img: number[][][]) => { const out: number[] = []; for (let i = 1; i < 6; i += 2) for (let j = 1; j < 6; j += 2) out.push(img[i]![j]![0]!, 0); return out; };
  const xs = (ep.support.x.arraySync() as number[][][][]).map(feat);
  const ys = Array.from(ep.support.y.dataSync());
  const protos = [0, 1].map((c) => { const m = xs.filter((_, i) => ys[i] === c); return m[0]!.map((_, d) => m.reduce((s, v) => s + v[d]!, 0) / m.length); });
  const qs = (ep.query.x.arraySync() as number[][][][]).map(feat);
  qs.forEach((q, i) => protos.forEach((p, c) => {
    const expected = -0.5 * q.reduce((s, v, d) => s + (v - p[d]!) ** 2, 0);
    assert.ok(Math.abs(logits[i]![c]! - expected) < 1e-4 * Math.max(1, Math.abs(expected)), `logit [${i}, ${c}]: ${logits[i]![c]} vs ${expected}`);
  }));
  const reg = syntheticEpisode(2, { kind: 'regression', ways: 1, shots: 3, queryShots: 3, inputShape: [6, 6, 1] });
  assert.throws(() => solver.adapt({ backbone, head: resolvePlugin(container, 'head', 'linear').create(undefined), theta, solverParams: {}, support: reg.support, task: { kind: 'regression', ways: 1 }, metaTraining: true }), (e) => MetaLearnError.is(e, 'unsupported'));
  for (const t of [ep.support.x, ep.support.y, ep.query.x, ep.query.y, reg.support.x, reg.support.y, reg.query.x, reg.query.y]) t.dispose();
  disposeParams(theta);
});

// The conformance suite on the solver resolved by name: default small smooth MLP, 3-way 2-shot;
// the head is not used by design.
describeSolverConformance('nearest-class-mean (third party, resolved by name)', {
  createSolver: () => resolved.create(undefined),
  unusedParams: /^theta\/head\//,
});

// And on a Conv-4 backbone with batch norm (smooth activation for finite differences), 5-way 1-shot.
describeSolverConformance('nearest-class-mean on Conv-4 with batch norm', {
  createSolver: () => resolved.create(undefined),
  createBackbone: () => createConv4({ inputShape: [8, 8, 1], filters: 4, activation: 'tanh' }),
  tasks: [{ kind: 'classification', ways: 5 }],
  shots: 1,
  queryShots: 2,
  metaSteps: 20,
  unusedParams: /^theta\/head\//,
});

// The learner conformance: core's backprop learner composed with the third-party solver.
const episodes = syntheticEpisodes({ kind: 'classification', ways: 3, shots: 2, queryShots: 3, inputShape: [4] });
const smallMlp = () => createMlp({ inputDim: 4, hiddenSizes: [6], activation: 'tanh', weightStd: 0.5 });

// Plain SGD with outerLr 1, so the applied meta-gradient is read off the update and checked against finite differences.
describeLearnerConformance('createLearner(nearest-class-mean), SGD', {
  createLearner: (seed) => createLearner({ backbone: smallMlp(), head: createLinearHead(), solver: resolved.create(undefined), task: { kind: 'classification', ways: 3 }, seed, outerLr: 1, optimizer: 'sgd' }),
  episodes,
  unusedParams: /^head\//,
  finiteDifference: { outerLr: 1 },
});

// The path the CLI takes: learner 'backprop' and solver 'nearest-class-mean' both resolved by name (Adam, defaults).
describeLearnerConformance("learner 'backprop' x solver 'nearest-class-mean', resolved by name", {
  createLearner: (seed) => resolvePlugin(container, 'learner', 'backprop').create({
    backbone: resolvePlugin(container, 'backbone', 'mlp').create({ inputShape: [4], options: { hiddenSizes: [6], activation: 'tanh', weightStd: 0.5 } }),
    head: resolvePlugin(container, 'head', 'linear').create(undefined),
    solver: resolved.create(undefined),
    task: { kind: 'classification', ways: 3 },
    seed,
    options: { outerLr: 0.01 },
  }),
  episodes,
  unusedParams: /^head\//,
});
