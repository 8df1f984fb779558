// The plugin binding of @metalearn/imaml: innerSolver 'implicit' resolvable by name, options
// validated with errors that name the option and the value, defaults as documented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPluginContainer, listPlugins, MetaLearnError, resolvePlugin } from '@metalearn/core';
import { createImplicitSolver, imamlModule, resolveImplicitSolverOptions } from '@metalearn/imaml';

test("imamlModule binds innerSolver 'implicit'; bad options throw invalidArgument naming the option and the value", () => {
  const c = createPluginContainer(imamlModule);
  assert.deepEqual(listPlugins(c, 'innerSolver').map((p) => p.name), ['implicit']);
  const plugin = resolvePlugin(c, 'innerSolver', 'implicit');
  assert.equal(plugin.provider, '@metalearn/imaml');
  assert.ok(plugin.summary.length > 10);
  assert.equal(plugin.create({ lambda: 0.5, innerSteps: 16, innerOptimizer: 'nesterov', innerMomentum: 0.8, cgSteps: 3, hvp: 'finiteDifference', fdStep: 1e-3 }).name, 'implicit');
  assert.equal(plugin.create(undefined).name, 'implicit');
  assert.deepEqual(plugin.create({}).initParams(0, {}, { kind: 'classification', ways: 5 }), {}, 'no meta-parameters of its own');
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ lambda: 0 }, /options\.lambda: .*\(got 0\)/],
    [{ lambda: -2 }, /options\.lambda: .*\(got -2\)/],
    [{ lambda: 'big' }, /options\.lambda: .*\(got "big"\)/],
    [{ innerSteps: 0 }, /options\.innerSteps: .*\(got 0\)/],
    [{ innerSteps: 2.5 }, /options\.innerSteps: .*\(got 2\.5\)/],
    [{ evalInnerSteps: 0 }, /options\.evalInnerSteps: .*\(got 0\)/],
    [{ innerLr: 0 }, /options\.innerLr: .*\(got 0\)/],
    [{ innerLr: Infinity }, /options\.innerLr/],
    [{ innerOptimizer: 'rmsprop' }, /options\.innerOptimizer: .*\(got "rmsprop"\)/],
    [{ innerMomentum: 1 }, /options\.innerMomentum: .*\(got 1\)/],
    [{ innerMomentum: 0.9 }, /options\.innerMomentum needs options\.innerOptimizer 'momentum' or 'nesterov', got 'sgd'/],
    [{ cgSteps: -1 }, /options\.cgSteps: .*\(got -1\)/],
    [{ cgTol: -1e-3 }, /options\.cgTol: .*\(got -0\.001\)/],
    [{ cgDamping: -1 }, /options\.cgDamping: .*\(got -1\)/],
    [{ lambdaDamping: Infinity }, /options\.lambdaDamping/],
    [{ hvp: 'gaussNewton' }, /options\.hvp: .*\(got "gaussNewton"\)/],
    [{ fdStep: 0 }, /options\.fdStep: .*\(got 0\)/],
    [{ fdScheme: 'backward' }, /options\.fdScheme: .*\(got "backward"\)/],
    [{ reg: 2 }, /options: .*\(reg\)/],
  ];
  for (const [options, pattern] of bad) {
    assert.throws(() => plugin.create(options), (e) => MetaLearnError.is(e, 'invalidArgument') && pattern.test(e.message) && e.message.startsWith("innerSolver 'implicit': "), JSON.stringify(options));
  }
  assert.throws(() => createImplicitSolver({ lambda: -1 }), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message.startsWith('createImplicitSolver: options.lambda'));
  assert.deepEqual(resolveImplicitSolverOptions(undefined), {
    lambda: 2, innerSteps: 5, evalInnerSteps: 5, innerLr: 0.1, innerOptimizer: 'sgd', innerMomentum: 0.9,
    cgSteps: 5, cgDamping: 0, lambdaDamping: 0, cgTol: 1e-6, hvp: 'exact', fdStep: 1e-2, fdScheme: 'central',
  });
  assert.equal(resolveImplicitSolverOptions({ innerSteps: 16 }).evalInnerSteps, 16, 'evalInnerSteps defaults to innerSteps');
});
