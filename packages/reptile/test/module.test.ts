// The plugin binding of @metalearn/reptile: learner 'reptile' resolvable by name and composed from
// named parts, options validated with errors that name the option and the value, defaults as
// documented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coreModule, createPluginContainer, initEngine, listPlugins, MetaLearnError, resolvePlugin } from '@metalearn/core';
import { reptileModule, resolveReptileOptions } from '@metalearn/reptile';

await initEngine({ backend: 'cpu', log: () => {} });

test("reptileModule binds learner 'reptile'; it composes named parts with the 'gradient' solver (never called) and refuses other solvers as unsupported; bad options throw invalidArgument naming the option and the value", () => {
  const c = createPluginContainer(coreModule, reptileModule);
  assert.deepEqual(listPlugins(c, 'learner').map((p) => p.name), ['backprop', 'reptile']);
  const plugin = resolvePlugin(c, 'learner', 'reptile');
  assert.equal(plugin.provider, '@metalearn/reptile');
  const parts = {
    backbone: resolvePlugin(c, 'backbone', 'mlp').create({ inputShape: [1], options: { hiddenSizes: [4] } }),
    head: resolvePlugin(c, 'head', 'linear').create(undefined),
    // The gradient solver's place is taken by Reptile's inner loop: a stand-in that must never be called.
    solver: { name: 'gradient', initParams: () => ({}), adapt: () => { throw new Error('Reptile does not call the solver'); } },
    task: { kind: 'regression' as const, ways: 1 },
    seed: 0,
  };
  const learner = plugin.create({ ...parts, options: { outerLr: 1, outerLrSchedule: 'linear', totalSteps: 10, innerOptimizer: 'sgd', innerBatchSize: 5 } });
  assert.equal(learner.name, 'reptile');
  assert.equal(learner.state().learner, 'reptile');
  learner.dispose();
  for (const name of ['ridge', 'context', 'acme-solver']) {
    const solver = { ...parts.solver, name };
    assert.throws(() => plugin.create({ ...parts, solver, options: { outerLr: 1 } }), (e) => MetaLearnError.is(e, 'unsupported') && e.message.includes(`compose it with solver 'gradient', got solver "${name}"`), name);
  }
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{}, /options\.outerLr: /],
    [{ outerLr: 0 }, /options\.outerLr: .*\(got 0\)/],
    [{ outerLr: 1, innerLr: -1 }, /options\.innerLr: .*\(got -1\)/],
    [{ outerLr: 1, innerSteps: 1.5 }, /options\.innerSteps: .*\(got 1\.5\)/],
    [{ outerLr: 1, innerBatchSize: 0 }, /options\.innerBatchSize: .*\(got 0\)/],
    [{ outerLr: 1, innerOptimizer: 'rmsprop' }, /options\.innerOptimizer: .*\(got "rmsprop"\)/],
    [{ outerLr: 1, adam: { beta1: 1 } }, /options\.adam\.beta1: .*\(got 1\)/],
    [{ outerLr: 1, innerOptimizer: 'sgd', adam: { beta1: 0.9 } }, /options\.adam needs innerOptimizer 'adam'/],
    [{ outerLr: 1, innerSet: 'query' }, /options\.innerSet: .*\(got "query"\)/],
    [{ outerLr: 1, transductive: 'yes' }, /options\.transductive/],
    [{ outerLr: 1, outerLrSchedule: 'linear' }, /options\.totalSteps is required with outerLrSchedule 'linear'/],
    [{ outerLr: 1, finalOuterLr: 0 }, /options\.finalOuterLr and options\.totalSteps need outerLrSchedule 'linear'/],
    [{ outerLr: 1, metaStepSize: 1 }, /options: .*\(metaStepSize\)/],
  ];
  for (const [options, pattern] of bad) {
    assert.throws(() => plugin.create({ ...parts, options }), (e) => MetaLearnError.is(e, 'invalidArgument') && pattern.test(e.message) && e.message.startsWith("learner 'reptile': "), JSON.stringify(options));
  }
  assert.deepEqual(resolveReptileOptions({ outerLr: 0.1 }), {
    outerLr: 0.1, outerLrSchedule: 'constant', totalSteps: undefined, finalOuterLr: 0, innerOptimizer: 'adam', adam: { beta1: 0, beta2: 0.999, epsilon: 1e-8 },
    innerLr: 1e-3, innerSteps: 5, evalInnerSteps: 5, innerBatchSize: undefined, evalInnerBatchSize: undefined, replacement: false,
    innerSet: 'support+query', transductive: false,
  });
});

test('load() refuses a checkpoint of another learner, without a seed, or with misshapen tensors', () => {
  const c = createPluginContainer(coreModule, reptileModule);
  const make = (hidden: number) => resolvePlugin(c, 'learner', 'reptile').create({
    backbone: resolvePlugin(c, 'backbone', 'mlp').create({ inputShape: [1], options: { hiddenSizes: [hidden] } }),
    head: resolvePlugin(c, 'head', 'linear').create(undefined),
    solver: { name: 'gradient', initParams: () => ({}), adapt: () => { throw new Error('unused'); } },
    task: { kind: 'regression', ways: 1 }, seed: 0, options: { outerLr: 1 },
  });
  const a = make(4);
  const b = make(5);
  const state = a.state();
  assert.throws(() => b.load(state), (e) => MetaLearnError.is(e, 'checkpoint') && /shape must be/.test(e.message));
  assert.throws(() => a.load({ ...state, learner: 'backprop' }), (e) => MetaLearnError.is(e, 'checkpoint') && /state\.learner must be 'reptile'/.test(e.message));
  assert.throws(() => a.load({ ...state, extra: {} }), (e) => MetaLearnError.is(e, 'checkpoint') && /state\.extra\.seed/.test(e.message));
  a.dispose();
  b.dispose();
});
