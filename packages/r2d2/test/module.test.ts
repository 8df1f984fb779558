// The plugin binding of @metalearn/r2d2: innerSolver 'ridge' resolvable by name, options
// validated with errors that name the option, defaults as documented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPluginContainer, listPlugins, MetaLearnError, resolvePlugin } from '@metalearn/core';
import { r2d2Module, resolveRidgeSolverOptions } from '@metalearn/r2d2';

test("r2d2Module binds innerSolver 'ridge'; bad options throw invalidArgument naming the option and the value", () => {
  const c = createPluginContainer(r2d2Module);
  assert.deepEqual(listPlugins(c, 'innerSolver').map((p) => p.name), ['ridge']);
  const plugin = resolvePlugin(c, 'innerSolver', 'ridge');
  assert.equal(plugin.provider, '@metalearn/r2d2');
  assert.equal(plugin.create({ lambdaInit: 0.5, form: 'woodbury', learnBeta: false }).name, 'ridge');
  assert.equal(plugin.create(undefined).name, 'ridge');
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ lambdaInit: 0 }, /options\.lambdaInit: .*\(got 0\)/],
    [{ lambdaInit: -1 }, /options\.lambdaInit: .*\(got -1\)/],
    [{ lambdaInit: 'big' }, /options\.lambdaInit: .*\(got "big"\)/],
    [{ alphaInit: Infinity }, /options\.alphaInit/],
    [{ learnLambda: 'yes' }, /options\.learnLambda/],
    [{ form: 'cholesky' }, /options\.form: .*\(got "cholesky"\)/],
    [{ lambda: 1 }, /options: .*\(lambda\)/],
  ];
  for (const [options, pattern] of bad) {
    assert.throws(() => plugin.create(options), (e) => MetaLearnError.is(e, 'invalidArgument') && pattern.test(e.message) && e.message.startsWith("innerSolver 'ridge': "), JSON.stringify(options));
  }
  assert.deepEqual(resolveRidgeSolverOptions(undefined), { lambdaInit: 1, learnLambda: true, alphaInit: 1, learnAlpha: true, betaInit: 0, learnBeta: true, bias: true, form: 'auto' });
});
