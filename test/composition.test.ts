// Composition: every inner solver registered by any first-party package composes with every
// standard backbone and head, resolved by name from one host container (the CLI's path).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  coreModule, createPluginContainer, disposeEpisode, disposeParams, initEngine, initModel, listPlugins, MetaLearnError, paramNames, resolvePlugin, subParams,
  type Backbone, type Learner, type PluginOptions, type TaskSpec,
} from '@metalearn/core';
import { joinMetaParams, metaValueAndGrads, solverMetaLoss, syntheticEpisode, syntheticEpisodes } from '@metalearn/core/testing';
import { mamlModule } from '@metalearn/maml';
import { reptileModule } from '@metalearn/reptile';
import { r2d2Module } from '@metalearn/r2d2';
import { metaoptnetModule } from '@metalearn/metaoptnet';
import { imamlModule } from '@metalearn/imaml';
import { caviaModule } from '@metalearn/cavia';
import { datasetsModule } from '@metalearn/datasets';

// Runs on the default backend (wasm here): the per-backend engine properties are proven by the conformance suites.
const { backend } = await initEngine({ log: () => {} });
const container = createPluginContainer(coreModule, mamlModule, reptileModule, r2d2Module, metaoptnetModule, imamlModule, caviaModule, datasetsModule);

/**
 * The standard backbones, small: an MLP on 4-vectors and a Conv-4 on 8x8x1 images (tanh: smooth).
 * `extra`: backbone options a solver needs (see {@link solverNeeds}).
 */
const backbones: Array<{ label: string; make: (extra?: PluginOptions) => Backbone }> = [
  { label: 'mlp [4] -> [8, 8]', make: (extra = {}) => resolvePlugin(container, 'backbone', 'mlp').create({ inputShape: [4], options: { hiddenSizes: [8, 8], activation: 'tanh', weightStd: 0.5, ...extra } }) },
  { label: 'conv4 [8, 8, 1], 4 filters', make: (extra = {}) => resolvePlugin(container, 'backbone', 'conv4').create({ inputShape: [8, 8, 1], options: { filters: 4, activation: 'tanh', ...extra } }) },
];

/**
 * Backbone options a solver needs beyond the defaults, by solver name: CAVIA's context-only solver
 * feeds `ctx.context` (its default size 5), so the backbone must read a context of that size (the
 * MLP at its input, Conv-4 by FiLM), as the CLI's 'cavia' preset sets it.
 */
const solverNeeds: Readonly<Record<string, PluginOptions>> = { context: { contextDim: 5 } };

test('the host container discovers every kind of part by name, each documented with a provider and a summary', () => {
  const backboneNames = listPlugins(container, 'backbone').map((p) => p.name);
  assert.ok(backboneNames.includes('mlp') && backboneNames.includes('conv4'), backboneNames.join());
  assert.ok(listPlugins(container, 'head').some((p) => p.name === 'linear'));
  const solvers = listPlugins(container, 'innerSolver');
  assert.ok(solvers.some((p) => p.name === 'gradient'), `maml's 'gradient' solver is registered: ${solvers.map((p) => p.name).join(', ')}`);
  assert.ok(solvers.some((p) => p.name === 'context'), `cavia's 'context' solver is registered: ${solvers.map((p) => p.name).join(', ')}`);
  assert.ok(listPlugins(container, 'learner').some((p) => p.name === 'reptile'), "reptile's 'reptile' learner is registered");
  for (const kind of ['backbone', 'head', 'innerSolver', 'learner', 'dataset'] as const) {
    for (const p of listPlugins(container, kind)) {
      assert.equal(p.kind, kind);
      assert.ok(p.provider.length > 0 && p.summary.length > 10, `${kind} '${p.name}' needs a provider and a one-line summary`);
    }
  }
});

test(`every registered inner solver x every standard backbone x the linear head adapts and back-propagates (${backend})`, async (t) => {
  const task: TaskSpec = { kind: 'classification', ways: 3 };
  const solverNames = listPlugins(container, 'innerSolver').map((p) => p.name);
  let composed = 0;
  for (const solverName of solverNames) {
    for (const b of backbones) {
      await t.test(`${solverName} on ${b.label}`, (tt) => {
        const solver = resolvePlugin(container, 'innerSolver', solverName).create(undefined);
        const backbone = b.make(solverNeeds[solverName]);
        const head = resolvePlugin(container, 'head', 'linear').create({ init: 'glorotUniform' });
        const theta = initModel(backbone, head, 1, task.ways);
        const meta = joinMetaParams(theta, solver.initParams(2, theta, task));
        const episode = syntheticEpisode(3, { kind: 'classification', ways: 3, shots: 2, queryShots: 2, inputShape: backbone.inputShape });
        const start = tf.memory().numTensors;
        let error: unknown;
        try {
          tf.tidy(() => {
            const shape = solver.adapt({ backbone, head, theta: subParams('theta', meta), solverParams: subParams('solver', meta), support: episode.support, task, metaTraining: true }).predict(episode.query.x).shape;
            assert.deepEqual(shape, [6, 3]);
            const { value, grads } = metaValueAndGrads((m) => solverMetaLoss({ solver, backbone, head, task, support: episode.support, query: episode.query }, m), meta);
            assert.ok(Number.isFinite(value.dataSync()[0]!), 'finite meta-loss');
            for (const n of paramNames(meta).filter((m) => m.startsWith('theta/backbone/'))) {
              const g = grads[n];
              assert.ok(g !== null && g !== undefined, `the meta-gradient reaches ${n}`);
              const v = Array.from(g.dataSync());
              assert.ok(v.every(Number.isFinite) && v.some((e) => e !== 0), `${n}: finite, not all zero`);
            }
            tt.diagnostic(`meta-loss ${value.dataSync()[0]!.toFixed(4)}`);
          });
          assert.equal(tf.memory().numTensors, start, 'no tensor left');
          composed++;
        } catch (e) {
          error = e;
        }
        disposeParams(meta);
        disposeEpisode(episode);
        // A documented refusal (e.g. a context-only solver on a backbone without context) is allowed; anything else fails.
        if (MetaLearnError.is(error, 'unsupported')) tt.diagnostic(`refused (unsupported): ${error.message}`);
        else if (error !== undefined) throw error;
      });
    }
  }
  assert.ok(composed >= backbones.length, `at least the gradient solver composes with every backbone (composed ${composed})`);
  t.diagnostic(`${composed} of ${solverNames.length * backbones.length} compositions ran; solvers: ${solverNames.join(', ')}`);
});

test(`every registered learner x every registered inner solver, all resolved by name, meta-trains, evaluates and disposes cleanly (${backend})`, async (t) => {
  const task: TaskSpec = { kind: 'classification', ways: 3 };
  const learnerNames = listPlugins(container, 'learner').map((p) => p.name);
  assert.ok(learnerNames.includes('backprop'), learnerNames.join());
  const episodes = syntheticEpisodes({ kind: 'classification', ways: 3, shots: 2, queryShots: 2, inputShape: [4] });
  const composed: string[] = [];
  for (const learnerName of learnerNames) {
    for (const solverName of listPlugins(container, 'innerSolver').map((p) => p.name)) {
      await t.test(`${learnerName} x ${solverName}`, (tt) => {
        const start = tf.memory().numTensors;
        let learner: Learner;
        try {
          learner = resolvePlugin(container, 'learner', learnerName).create({
            backbone: backbones[0]!.make(solverNeeds[solverName]),
            head: resolvePlugin(container, 'head', 'linear').create(undefined),
            solver: resolvePlugin(container, 'innerSolver', solverName).create(undefined),
            task,
            seed: 0,
            options: { outerLr: 0.01 },
          });
        } catch (e) {
          // A documented refusal is allowed (Reptile's outer rule takes the 'gradient' solver's place and refuses the others).
          if (!MetaLearnError.is(e, 'unsupported')) throw e;
          tt.diagnostic(`refused (unsupported): ${e.message}`);
          assert.equal(tf.memory().numTensors, start, 'a refused composition holds no tensor');
          return;
        }
        composed.push(`${learnerName} x ${solverName}`);
        const eps = episodes(1, 5);
        try {
          const m1 = learner.metaTrainStep(eps.slice(0, 2));
          const m2 = learner.metaTrainStep(eps.slice(2, 4));
          assert.equal(m2.step, 2);
          assert.ok(Number.isFinite(m1.loss) && Number.isFinite(m2.loss), `finite losses ${m1.loss}, ${m2.loss}`);
          const score = learner.evaluate(eps[4]!);
          assert.ok(Number.isFinite(score.loss) && score.accuracy! >= 0 && score.accuracy! <= 1);
          tt.diagnostic(`loss ${m1.loss.toFixed(4)} -> ${m2.loss.toFixed(4)}, evaluate ${score.loss.toFixed(4)} (accuracy ${score.accuracy})`);
        } finally {
          learner.dispose();
          eps.forEach(disposeEpisode);
        }
        assert.equal(tf.memory().numTensors, start, 'nothing left after dispose()');
      });
    }
  }
  const solverCount = listPlugins(container, 'innerSolver').length;
  assert.equal(composed.filter((c) => c.startsWith('backprop x ')).length, solverCount, `the backprop learner composes with every solver: ${composed.join(', ')}`);
  assert.ok(composed.includes('reptile x gradient'), 'Reptile composes with the gradient solver');
  t.diagnostic(`${composed.length} learner x solver compositions ran: ${composed.join(', ')}`);
});
