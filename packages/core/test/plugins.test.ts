import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  coreModule, createPluginContainer, initEngine, listPlugins, MetaLearnError, pluginModule, resolvePlugin, disposeParams,
  type InnerSolverPlugin, type HeadPlugin,
} from '@metalearn/core';

await initEngine({ log: () => {} });

const dummySolver = (name: string, provider = 'test'): InnerSolverPlugin => ({
  kind: 'innerSolver',
  name,
  summary: `dummy ${name}`,
  provider,
  create: () => ({ name, initParams: () => ({}), adapt: () => { throw new Error('not used'); } }),
});

test('core module: discovery by kind lists backbones conv4, mlp, head linear and learner backprop (sorted), nothing else', () => {
  const c = createPluginContainer(coreModule);
  assert.deepEqual(listPlugins(c, 'backbone').map((p) => p.name), ['conv4', 'mlp']);
  assert.deepEqual(listPlugins(c, 'head').map((p) => p.name), ['linear']);
  assert.deepEqual(listPlugins(c, 'innerSolver'), []);
  assert.deepEqual(listPlugins(c, 'learner').map((p) => p.name), ['backprop']);
  for (const p of [...listPlugins(c, 'backbone'), ...listPlugins(c, 'head'), ...listPlugins(c, 'learner')]) {
    assert.equal(p.provider, '@metalearn/core');
    assert.ok(p.summary.length > 10, p.name);
  }
});

test('core plugins build working parts from JSON options; the defaults are MAML\'s', () => {
  const c = createPluginContainer(coreModule);
  const mlp = resolvePlugin(c, 'backbone', 'mlp').create({ inputShape: [1] });
  assert.equal(mlp.name, 'mlp');
  assert.equal(mlp.featureDim, 40);
  const conv = resolvePlugin(c, 'backbone', 'conv4').create({ inputShape: [84, 84, 3], options: { filters: 32, variant: 'maxpool' } });
  assert.equal(conv.featureDim, 800);
  const head = resolvePlugin(c, 'head', 'linear').create({ init: 'zeros' });
  const p = head.init(0, 4, 2);
  assert.ok(p['weight']!.dataSync().every((v) => v === 0));
  const f = tf.ones([3, 4]) as tf.Tensor2D;
  assert.deepEqual(head.apply(p, f).shape, [3, 2]);
  tf.dispose(f);
  disposeParams(p);
});

test('core plugins reject unknown and ill-typed options with invalidArgument naming the option', () => {
  const c = createPluginContainer(coreModule);
  const conv4 = resolvePlugin(c, 'backbone', 'conv4');
  assert.throws(() => conv4.create({ inputShape: [28, 28, 1], options: { filter: 32 } }), (e) => MetaLearnError.is(e, 'invalidArgument') && /conv4 plugin/.test(e.message) && /filter/.test(e.message));
  assert.throws(() => conv4.create({ inputShape: [28, 28, 1], options: { filters: 0 } }), (e) => MetaLearnError.is(e, 'invalidArgument') && /options\.filters/.test(e.message));
  assert.throws(() => conv4.create({ inputShape: [28, 28, 1], options: { variant: 'avg' } }), (e) => MetaLearnError.is(e, 'invalidArgument') && /options\.variant/.test(e.message));
  assert.throws(() => resolvePlugin(c, 'backbone', 'mlp').create({ inputShape: [28, 28, 1] }), (e) => MetaLearnError.is(e, 'invalidArgument') && /inputShape must be \[D\]/.test(e.message));
  assert.throws(() => resolvePlugin(c, 'backbone', 'mlp').create({ inputShape: [1], options: { activation: 'gelu' } }), (e) => MetaLearnError.is(e, 'invalidArgument') && /options\.activation/.test(e.message));
  assert.throws(() => resolvePlugin(c, 'head', 'linear').create({ std: -1 }), (e) => MetaLearnError.is(e, 'invalidArgument') && /options\.std/.test(e.message));
});

test('binding a name twice within one module throws duplicatePlugin', () => {
  const m = pluginModule([dummySolver('ncm'), dummySolver('ncm', 'other')]);
  assert.throws(() => createPluginContainer(m), (e) => MetaLearnError.is(e, 'duplicatePlugin') && /innerSolver named 'ncm'/.test(e.message));
});

test('binding a name twice across two modules throws duplicatePlugin, whichever loads first; core\'s own names are protected', () => {
  const a = pluginModule([dummySolver('ridge')]);
  const b = pluginModule([dummySolver('ridge', 'someone-else')]);
  assert.throws(() => createPluginContainer(a, b), (e) => MetaLearnError.is(e, 'duplicatePlugin') && /someone-else/.test(e.message));
  assert.throws(() => createPluginContainer(b, a), (e) => MetaLearnError.is(e, 'duplicatePlugin'));
  const fakeLinear: HeadPlugin = { kind: 'head', name: 'linear', summary: 'impostor', provider: 'x', create: () => { throw new Error('never'); } };
  assert.throws(() => createPluginContainer(coreModule, pluginModule([fakeLinear])), (e) => MetaLearnError.is(e, 'duplicatePlugin') && /head named 'linear'/.test(e.message));
  // Loading the same module object twice is a duplicate too.
  assert.throws(() => createPluginContainer(coreModule, coreModule), (e) => MetaLearnError.is(e, 'duplicatePlugin'));
});

test('the same name under two kinds is fine; kinds are separate namespaces', () => {
  const linearSolver = dummySolver('linear');
  const c = createPluginContainer(coreModule, pluginModule([linearSolver]));
  assert.equal(resolvePlugin(c, 'innerSolver', 'linear'), linearSolver);
  assert.equal(resolvePlugin(c, 'head', 'linear').summary.includes('affine'), true);
});

test('an unknown name throws unknownPlugin listing the registered names of that kind (or none)', () => {
  const c = createPluginContainer(coreModule, pluginModule([dummySolver('b'), dummySolver('a')]));
  assert.throws(() => resolvePlugin(c, 'backbone', 'resnet12'), (e) => MetaLearnError.is(e, 'unknownPlugin') && /no backbone named 'resnet12'/.test(e.message) && /registered: conv4, mlp\)/.test(e.message));
  assert.throws(() => resolvePlugin(c, 'innerSolver', 'c'), (e) => MetaLearnError.is(e, 'unknownPlugin') && /registered: a, b\)/.test(e.message));
  assert.throws(() => resolvePlugin(c, 'learner', 'maml'), (e) => MetaLearnError.is(e, 'unknownPlugin') && /registered: backprop\)/.test(e.message));
  assert.throws(() => resolvePlugin(c, 'dataset', 'cifar'), (e) => MetaLearnError.is(e, 'unknownPlugin') && /registered: none/.test(e.message));
  assert.deepEqual(listPlugins(c, 'innerSolver').map((p) => p.name), ['a', 'b']);
});

test('an empty plugin name is rejected with invalidArgument', () => {
  assert.throws(() => createPluginContainer(pluginModule([dummySolver('  ')])), (e) => MetaLearnError.is(e, 'invalidArgument'));
});

test('an unknown kind or a missing create is rejected with invalidArgument naming the plugin (it used to register nothing, silently)', () => {
  const wrongKind = { ...dummySolver('mine'), kind: 'solver' } as unknown as ReturnType<typeof dummySolver>;
  assert.throws(() => createPluginContainer(pluginModule([wrongKind])), (e) => MetaLearnError.is(e, 'invalidArgument') && /bindPlugin: plugin\.kind must be one of backbone, head, innerSolver, learner, dataset, got 'solver' \(plugin 'mine'\)/.test(e.message));
  const noCreate = { ...dummySolver('mine'), create: undefined } as unknown as ReturnType<typeof dummySolver>;
  assert.throws(() => createPluginContainer(pluginModule([noCreate])), (e) => MetaLearnError.is(e, 'invalidArgument') && /plugin\.create must be a function \(innerSolver 'mine'\)/.test(e.message));
});
