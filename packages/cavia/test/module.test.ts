// The plugin binding of @metalearn/cavia: innerSolver 'context' resolvable by name, options
// validated with errors that name the option and the value, defaults as documented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPluginContainer, listPlugins, MetaLearnError, resolvePlugin } from '@metalearn/core';
import { caviaModule, resolveContextSolverOptions } from '@metalearn/cavia';

test("caviaModule binds innerSolver 'context'; bad options throw invalidArgument naming the option and the value", () => {
  const c = createPluginContainer(caviaModule);
  assert.deepEqual(listPlugins(c, 'innerSolver').map((p) => p.name), ['context']);
  const plugin = resolvePlugin(c, 'innerSolver', 'context');
  assert.equal(plugin.provider, '@metalearn/cavia');
  assert.equal(plugin.create({ contextDim: 100, innerSteps: 2, innerLr: 1, order: 'first' }).name, 'context');
  assert.equal(plugin.create(undefined).name, 'context');
  assert.deepEqual(plugin.create(undefined).initParams(0, {}, { kind: 'regression', ways: 1 }), {}, 'no solver meta-parameters');
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ contextDim: 0 }, /options\.contextDim: .*\(got 0\)/],
    [{ contextDim: 2.5 }, /options\.contextDim: .*\(got 2\.5\)/],
    [{ innerSteps: -1 }, /options\.innerSteps: .*\(got -1\)/],
    [{ evalInnerSteps: 'ten' }, /options\.evalInnerSteps: .*\(got "ten"\)/],
    [{ innerLr: 0 }, /options\.innerLr: .*\(got 0\)/],
    [{ innerLr: Infinity }, /options\.innerLr/],
    [{ order: 'third' }, /options\.order: .*\(got "third"\)/],
    [{ contextSize: 4 }, /options: .*\(contextSize\)/],
  ];
  for (const [options, pattern] of bad) {
    assert.throws(() => plugin.create(options), (e) => MetaLearnError.is(e, 'invalidArgument') && pattern.test(e.message) && e.message.startsWith("innerSolver 'context': "), JSON.stringify(options));
  }
  assert.deepEqual(resolveContextSolverOptions(undefined), { contextDim: 5, innerSteps: 1, evalInnerSteps: 1, innerLr: 1, order: 'second' });
  assert.deepEqual(resolveContextSolverOptions({ innerSteps: 2 }), { contextDim: 5, innerSteps: 2, evalInnerSteps: 2, innerLr: 1, order: 'second' });
});
