// The plugin binding of @metalearn/maml: resolvable by name, options validated with errors that
// name the option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetaLearnError, createPluginContainer, listPlugins, resolvePlugin } from '@metalearn/core';
import { mamlModule, resolveGradientSolverOptions } from '@metalearn/maml';

test("mamlModule binds innerSolver 'gradient'; bad options throw invalidArgument naming the option", () => {
  const c = createPluginContainer(mamlModule);
  assert.deepEqual(listPlugins(c, 'innerSolver').map((p) => p.name), ['gradient']);
  const plugin = resolvePlugin(c, 'innerSolver', 'gradient');
  assert.equal(plugin.provider, '@metalearn/maml');
  const solver = plugin.create({ innerSteps: 5, innerLr: 0.4, order: 'first', adapt: '^head/' });
  assert.equal(solver.name, 'gradient');
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ innerSteps: -1 }, /options\.innerSteps/],
    [{ innerSteps: 1.5 }, /options\.innerSteps/],
    [{ innerLr: -1 }, /options\.innerLr/],
    [{ order: 'third' }, /options\.order/],
    [{ adapt: '(' }, /options\.adapt must be a valid regular expression/],
    [{ multiStepLoss: { annealSteps: 0 } }, /options\.multiStepLoss\.annealSteps/],
    [{ innerStep: 3 }, /unrecognized|innerStep/],
  ];
  for (const [options, pattern] of bad) {
    assert.throws(() => plugin.create(options), (e) => MetaLearnError.is(e, 'invalidArgument') && pattern.test(e.message) && /innerSolver 'gradient'/.test(e.message), JSON.stringify(options));
  }
  const r = resolveGradientSolverOptions({ adapt: /^head\//g });
  assert.ok(r.adapt!.test('head/weight') && r.adapt!.test('head/weight'), 'a global RegExp is made stateless');
  assert.equal(resolveGradientSolverOptions(undefined).innerSteps, 1);
});
