// The plugin binding of @metalearn/metaoptnet: innerSolver 'svm' resolvable by name, options
// validated with errors that name the option, defaults as documented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPluginContainer, listPlugins, MetaLearnError, resolvePlugin } from '@metalearn/core';
import { metaoptnetModule, resolveSvmSolverOptions } from '@metalearn/metaoptnet';

test("metaoptnetModule binds innerSolver 'svm'; bad options throw invalidArgument naming the option and the value", () => {
  const c = createPluginContainer(metaoptnetModule);
  assert.deepEqual(listPlugins(c, 'innerSolver').map((p) => p.name), ['svm']);
  const plugin = resolvePlugin(c, 'innerSolver', 'svm');
  assert.equal(plugin.provider, '@metalearn/metaoptnet');
  assert.equal(plugin.create({ C: 0.5, ridge: 1e-3, learnScale: false, scaleInit: 2 }).name, 'svm');
  assert.equal(plugin.create(undefined).name, 'svm');
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ C: 0 }, /options\.C: .*\(got 0\)/],
    [{ C: -1 }, /options\.C: .*\(got -1\)/],
    [{ C: 'big' }, /options\.C: .*\(got "big"\)/],
    [{ ridge: 0 }, /options\.ridge: .*\(got 0\)/],
    [{ ridge: Infinity }, /options\.ridge/],
    [{ scaleInit: NaN }, /options\.scaleInit/],
    [{ learnScale: 'yes' }, /options\.learnScale: .*\(got "yes"\)/],
    [{ c: 1 }, /options: .*\(c\)/],
  ];
  for (const [options, pattern] of bad) {
    assert.throws(() => plugin.create(options), (e) => MetaLearnError.is(e, 'invalidArgument') && pattern.test(e.message) && e.message.startsWith("innerSolver 'svm': "), JSON.stringify(options));
  }
  assert.deepEqual(resolveSvmSolverOptions(undefined), { C: 0.1, ridge: 1, scaleInit: 1, learnScale: true });
  // Binding the module twice is an error, not a silent override.
  assert.throws(() => createPluginContainer(metaoptnetModule, metaoptnetModule), (e) => MetaLearnError.is(e, 'duplicatePlugin'));
});
