// Third-party plug-in modules through the CLI's commands (`--plugin`), with a plain-JavaScript
// module written as a user would (fixtures/still-solver-plugin.mjs: an inner solver that does not
// adapt):
// - train resolves the module's solver by name, records the module (an absolute file: URL) in the
//   run's config, and with 2 worker threads ends at the parameters of the serial run (within
//   1e-5 of their scale; the threads import the module themselves);
// - eval finds the module from the checkpoint, and the fixture really ran: its MSE is the same
//   after 1 and 10 inner steps (it never adapts), where MAML's differs; --resume keeps the module;
// - bad modules are MetaLearnErrors naming the --plugin argument (missing file; a module with no
//   ContainerModule), a solver name without its module is `unknownPlugin`, and nothing is written;
// - resolvePluginSpecifier: relative paths against cwd to file: URLs, file: URLs as given, bare
//   names that resolve nowhere as given; a module given twice is loaded once;
// - a module that moved: eval and --resume fail naming it, and work when --plugin names its new place
//   (given modules replace the recorded ones), which --resume then records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MetaLearnError } from '@metalearn/core';
import { runTrain } from '../src/commands/train.js';
import { runEval } from '../src/commands/eval.js';
import { loadCheckpoint } from '../src/checkpoint-file.js';
import { inTempDir } from './temp-dir.js';
import { loadPluginModules, resolvePluginSpecifier } from '../src/plugin-modules.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const plugin = join(fixtures, 'still-solver-plugin.mjs');
const base = { dataset: 'sinusoid', learner: 'maml', metaSteps: 4, metaBatch: 4, checkpointEvery: 2, logEvery: 2, seed: 3 };

function flatParams(run: string): number[] {
  const { state } = loadCheckpoint(run);
  return Object.keys(state.tensors).filter((k) => k.startsWith('params/')).sort().flatMap((k) => state.tensors[k]!.values);
}

test('train/eval --plugin: a third-party solver by name, in worker threads too, recorded with the run', async () => {
  await inTempDir('metalearn-plugin-', async (dir) => {
    const serial = join(dir, 'serial');
    const threaded = join(dir, 'threaded');
    const config = { ...base, solver: 'fixture-still', plugins: [plugin] };
    await runTrain({ config: { ...config, workers: 1 }, out: serial, resume: false, quiet: true, backend: 'cpu' });
    await runTrain({ config: { ...config, workers: 2 }, out: threaded, resume: false, quiet: true, backend: 'cpu' });
    const ckpt = loadCheckpoint(threaded);
    assert.equal(ckpt.composition.solver, 'fixture-still');
    assert.deepEqual(ckpt.config.plugins, [pathToFileURL(plugin).href], 'the module is recorded as an absolute file: URL');
    const a = flatParams(serial);
    const b = flatParams(threaded);
    assert.equal(a.length, b.length);
    const scale = Math.max(...a.map(Math.abs));
    const err = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
    assert.ok(scale > 0 && err <= 1e-5 * scale, `2 threads vs serial: max |diff| ${err} (scale ${scale})`);

    const common = { run: threaded, episodes: 8, evalSeed: 1, norm: 'transductive' as const, oneShotRuns: false, command: 'test', quiet: true, backend: 'cpu' as const };
    const s1 = await runEval(common);
    assert.equal(s1.learner, 'fixture-still');
    assert.ok(Number.isFinite(s1.mean));
    assert.equal(s1.innerStepsTest, 0, 'the fixture takes no inner steps');
    await assert.rejects(runEval({ ...common, innerSteps: 10 }), (e) => MetaLearnError.is(e, 'invalidArgument') && /--inner-steps does not apply: solver 'fixture-still'/.test((e as Error).message));
    const mamlRun = join(dir, 'maml');
    await runTrain({ config: { ...base, workers: 1 }, out: mamlRun, resume: false, quiet: true, backend: 'cpu' });
    const m1 = await runEval({ ...common, run: mamlRun, innerSteps: 1 });
    const m10 = await runEval({ ...common, run: mamlRun, innerSteps: 10 });
    assert.notEqual(m1.mean, m10.mean, "MAML's adaptation does change with the steps (the check above can fail)");

    const resumed = await runTrain({ config: { ...base, metaSteps: 6, workers: 1 }, out: threaded, resume: true, quiet: true, backend: 'cpu' });
    assert.equal(resumed.steps, 6);
    assert.deepEqual(loadCheckpoint(threaded).config.plugins, [pathToFileURL(plugin).href], '--resume keeps the run\'s module');
  });
});

test('--plugin: a missing module, a module without a ContainerModule and a solver without its module are clear errors; nothing is written', async () => {
  await inTempDir('metalearn-plugin-bad-', async (dir) => {
    const missing = join(fixtures, 'no-such-plugin.mjs');
    await assert.rejects(
      runTrain({ config: { ...base, solver: 'fixture-still', plugins: [missing], workers: 1 }, out: join(dir, 'a'), resume: false, quiet: true, backend: 'cpu' }),
      (e) => MetaLearnError.is(e, 'invalidArgument') && e.message.startsWith(`--plugin ${missing}: cannot import`),
    );
    await assert.rejects(
      loadPluginModules([join(fixtures, 'not-a-plugin.mjs')]),
      (e) => MetaLearnError.is(e, 'invalidArgument') && /not-a-plugin\.mjs: the module exports no inversify ContainerModule .*exports seen: answer, solver/.test(e.message),
    );
    await assert.rejects(
      runTrain({ config: { ...base, solver: 'fixture-still', workers: 1 }, out: join(dir, 'b'), resume: false, quiet: true, backend: 'cpu' }),
      (e) => MetaLearnError.is(e, 'unknownPlugin') && /fixture-still/.test(e.message),
    );
    assert.ok(!existsSync(join(dir, 'a')) && !existsSync(join(dir, 'b')), 'no run folder was written');
  });
});

test('resolvePluginSpecifier: paths become absolute file: URLs, URLs and unresolvable names stay as given', () => {
  assert.equal(resolvePluginSpecifier('./x/p.mjs', '/tmp/work'), 'file:///tmp/work/x/p.mjs');
  assert.equal(resolvePluginSpecifier('/abs/p.mjs', '/tmp/work'), 'file:///abs/p.mjs');
  assert.equal(resolvePluginSpecifier('file:///abs/p.mjs', '/tmp/work'), 'file:///abs/p.mjs');
  assert.equal(resolvePluginSpecifier('metalearn-plugin-that-does-not-exist', '/tmp/work'), 'metalearn-plugin-that-does-not-exist');
  assert.equal(resolvePluginSpecifier('fixtures/still-solver-plugin.mjs', dirname(fixtures)), pathToFileURL(plugin).href, 'an existing file without ./');
  assert.throws(() => resolvePluginSpecifier(' ', '/tmp'), (e) => MetaLearnError.is(e, 'invalidArgument') && /--plugin: a module path or package name is required/.test(e.message));
  assert.ok(readFileSync(plugin, 'utf8').includes('pluginModule'), 'the fixture is a plug-in module');
});

test('loadPluginModules loads a module given twice (path and file: URL) once', async () => {
  const { modules, resolved } = await loadPluginModules([plugin, pathToFileURL(plugin).href]);
  assert.equal(modules.length, 1);
  assert.deepEqual(resolved, [pathToFileURL(plugin).href]);
});

test('a plug-in module that moved: eval and --resume name it, and --plugin with its new place replaces the recorded one', async () => {
  // Inside the repository, so that the copy can import @metalearn/core.
  const first = join(fixtures, `moved-${process.pid}-a.mjs`);
  const second = join(fixtures, `moved-${process.pid}-b.mjs`);
  try {
    await inTempDir('metalearn-plugin-moved-', async (dir) => {
      copyFileSync(plugin, first);
      const run = join(dir, 'run');
      await runTrain({ config: { ...base, solver: 'fixture-still', plugins: [first], workers: 1 }, out: run, resume: false, quiet: true, backend: 'cpu' });
      renameSync(first, second);
      const common = { run, episodes: 4, evalSeed: 1, norm: 'transductive' as const, oneShotRuns: false, command: 'test', quiet: true, backend: 'cpu' as const };
      await assert.rejects(runEval(common), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message.includes(`moved-${process.pid}-a.mjs: cannot import`));
      const r = await runEval({ ...common, plugins: [second] });
      assert.equal(r.learner, 'fixture-still');
      await runTrain({ config: { ...base, metaSteps: 6, plugins: [second], workers: 1 }, out: run, resume: true, quiet: true, backend: 'cpu' });
      assert.deepEqual(loadCheckpoint(run).config.plugins, [pathToFileURL(second).href], 'the new place is recorded');
    });
  } finally {
    rmSync(first, { force: true });
    rmSync(second, { force: true });
  }
});
