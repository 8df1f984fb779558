import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError } from '@metalearn/core';
import { runTrain } from '../src/commands/train.js';
import { runEval } from '../src/commands/eval.js';
import { loadCheckpoint } from '../src/checkpoint-file.js';
import { inTempDir } from './temp-dir.js';

const base = { dataset: 'sinusoid', learner: 'maml', metaSteps: 12, metaBatch: 4, checkpointEvery: 5, logEvery: 2, seed: 7 };

test('train: an interrupted run resumed from its checkpoint ends bitwise-equal to an uninterrupted one', async () => {
  await inTempDir('metalearn-train-', async (dir) => {
    const full = join(dir, 'full');
    await runTrain({ config: base, out: full, resume: false, quiet: true, backend: 'cpu' });
    // "Crash" after 5 steps: a run with a budget of 5, then resumed to 12.
    const part = join(dir, 'part');
    await runTrain({ config: { ...base, metaSteps: 5 }, out: part, resume: false, quiet: true, backend: 'cpu' });
    assert.equal(loadCheckpoint(part).state.step, 5);
    await runTrain({ config: base, out: part, resume: true, quiet: true, backend: 'cpu' });
    const a = loadCheckpoint(full).state;
    const b = loadCheckpoint(part).state;
    assert.equal(b.step, 12);
    assert.deepEqual(b.tensors, a.tensors);
    const lines = readFileSync(join(full, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; loss: number });
    assert.deepEqual(lines.map((l) => l.step), [2, 4, 6, 8, 10, 12]);
    assert.ok(lines.every((l) => Number.isFinite(l.loss)));
    // A time budget stops early with a checkpoint that --resume continues.
    const timed = join(dir, 'timed');
    const t = await runTrain({ config: { ...base, maxMinutes: 1e-9 }, out: timed, resume: false, quiet: true, backend: 'cpu' });
    assert.equal(t.steps, 1);
    assert.equal(loadCheckpoint(timed).state.step, 1);
    // A second train into the same folder without --resume must not overwrite it.
    await assert.rejects(runTrain({ config: base, out: full, resume: false, quiet: true, backend: 'cpu' }), (e) => MetaLearnError.is(e, 'checkpoint') && /--resume/.test((e as Error).message));
    assert.deepEqual(loadCheckpoint(full).state.tensors, a.tensors);
  });
});

test('train: a stop request (the CLI\'s SIGINT/SIGTERM) checkpoints the step under way; resume and metrics.jsonl stay exact', async () => {
  const steps = (run: string) => readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
  await inTempDir('metalearn-stop-', async (dir) => {
    const config = { ...base, logEvery: 1, checkpointEvery: 1000 };
    // Reference: 12 steps uninterrupted.
    const full = join(dir, 'full');
    await runTrain({ config, out: full, resume: false, quiet: true, backend: 'cpu' });
    // Stopped after its first step (already aborted), although no checkpoint was due for 1000 steps.
    const part = join(dir, 'part');
    const stopped = await runTrain({ config, out: part, resume: false, quiet: true, backend: 'cpu', stop: AbortSignal.abort() });
    assert.equal(stopped.interrupted, true);
    assert.equal(stopped.steps, 1);
    assert.equal(loadCheckpoint(part).state.step, 1, 'checkpoint at the stop');
    const resumed = await runTrain({ config, out: part, resume: true, quiet: true, backend: 'cpu' });
    assert.equal(resumed.interrupted, undefined);
    assert.deepEqual(loadCheckpoint(part).state.tensors, loadCheckpoint(full).state.tensors, 'stop + resume = uninterrupted, bitwise');
    assert.deepEqual(steps(part), steps(full), 'one metrics line per step, none twice');
    // A run killed between checkpoints left lines past its checkpoint: --resume drops and re-logs them.
    const killed = join(dir, 'killed');
    await runTrain({ config: { ...config, metaSteps: 4, checkpointEvery: 2 }, out: killed, resume: false, quiet: true, backend: 'cpu' });
    const cp = readFileSync(join(killed, 'checkpoint.json'), 'utf8');
    await runTrain({ config: { ...config, metaSteps: 7, checkpointEvery: 1000 }, out: killed, resume: true, quiet: true, backend: 'cpu' });
    writeFileSync(join(killed, 'checkpoint.json'), cp); // back to step 4, as if killed at step 7
    assert.deepEqual(steps(killed), [1, 2, 3, 4, 5, 6, 7]);
    await runTrain({ config, out: killed, resume: true, quiet: true, backend: 'cpu' });
    assert.deepEqual(steps(killed), steps(full), 'steps 5-7 logged once, by the resumed run');
    // A fresh run into a folder whose earlier run never reached a checkpoint starts a fresh log.
    const fresh = join(dir, 'fresh');
    mkdirSync(fresh);
    writeFileSync(join(fresh, 'metrics.jsonl'), '{"step":50,"loss":1}\n{"step":100,"loss":1}\n');
    await runTrain({ config: { ...config, metaSteps: 3 }, out: fresh, resume: false, quiet: true, backend: 'cpu' });
    assert.deepEqual(steps(fresh), [1, 2, 3]);
  });
});

test('eval: fixed seeded episodes give the same mean twice; the record has every required field; no tensor leaks', async () => {
  await inTempDir('metalearn-eval-', async (dir) => {
    const run = join(dir, 'run');
    await runTrain({ config: base, out: run, resume: false, quiet: true, backend: 'cpu' });
    const results = join(dir, 'r.jsonl');
    const before = tf.memory().numTensors;
    const common = { run, episodes: 20, evalSeed: 3, norm: 'transductive' as const, oneShotRuns: false, command: 'test', results, quiet: true, backend: 'cpu' as const };
    const r1 = await runEval({ ...common, innerSteps: 1 });
    const r10 = await runEval({ ...common, innerSteps: 10 });
    const again = await runEval({ ...common, innerSteps: 1 });
    assert.equal(tf.memory().numTensors, before);
    assert.equal(r1.mean, again.mean);
    assert.notEqual(r1.mean, r10.mean, '10 inner steps adapt further than 1');
    assert.equal(r1.metric, 'mse');
    const recs = readFileSync(results, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(recs.length, 3);
    for (const f of ['learner', 'dataset', 'split', 'ways', 'shots', 'metric', 'mean', 'ci95', 'episodes', 'innerStepsTest', 'metaSteps', 'wallSeconds', 'seed', 'commit', 'command']) {
      assert.ok(f in recs[0]!, `record field ${f}`);
    }
    assert.equal(recs[1]!['innerStepsTest'], 10);
    assert.equal(recs[0]!['episodes'], 20);
    // Another episode shape than trained (K = 20 support points at test): other episodes, so
    // another mean; the record states both shapes.
    const k20 = await runEval({ ...common, innerSteps: 10, shots: 20, results: undefined });
    assert.equal(k20.shots, 20);
    assert.equal(k20.trainShots, 10);
    assert.ok(Number.isFinite(k20.mean) && k20.mean !== r10.mean, `K = 20: ${k20.mean} vs K = 10: ${r10.mean}`);
    // Per-example (non-transductive) evaluation of a net without batch norm equals transductive.
    const pe = await runEval({ ...common, innerSteps: 1, norm: 'per-example', results: undefined });
    assert.ok(Math.abs(pe.mean - r1.mean) < 1e-5 * Math.max(1, r1.mean), `${pe.mean} vs ${r1.mean}`);
  });
});

test('train/eval: bad input is a MetaLearnError naming the field, and nothing is written', async () => {
  await inTempDir('metalearn-bad-', async (dir) => {
    await assert.rejects(runTrain({ config: { ...base, metaBatch: 0 }, out: join(dir, 'a'), resume: false, quiet: true }), (e) => MetaLearnError.is(e, 'invalidArgument') && /metaBatch/.test((e as Error).message));
    await assert.rejects(runTrain({ config: { ...base, learner: 'nope' }, out: join(dir, 'b'), resume: false, quiet: true }), (e) => MetaLearnError.is(e, 'unknownPlugin') && /nope/.test((e as Error).message));
    await assert.rejects(runTrain({ config: { ...base, typo: 1 }, out: join(dir, 'c'), resume: false, quiet: true }), (e) => MetaLearnError.is(e, 'invalidArgument') && /typo/.test((e as Error).message));
    await assert.rejects(runTrain({ config: base, out: join(dir, 'd'), resume: true, quiet: true }), (e) => MetaLearnError.is(e, 'checkpoint'));
    assert.ok(!existsSync(join(dir, 'a')) && !existsSync(join(dir, 'b')) && !existsSync(join(dir, 'c')));
    mkdtempSync(join(dir, 'e'));
    writeFileSync(join(dir, 'torn.json'), '{"version":1,');
    await assert.rejects(runEval({ run: dir, episodes: 5, evalSeed: 1, norm: 'transductive', oneShotRuns: false, command: 't', quiet: true }), (e) => MetaLearnError.is(e, 'checkpoint'));
    // Paths that cannot be written, and a number of episodes that is not one.
    const good = join(dir, 'good');
    await runTrain({ config: { ...base, metaSteps: 2 }, out: good, resume: false, quiet: true, backend: 'cpu' });
    const evalArgs = { run: good, episodes: 3, evalSeed: 1, norm: 'transductive' as const, oneShotRuns: false, command: 't', quiet: true, backend: 'cpu' as const };
    await assert.rejects(runEval({ ...evalArgs, results: dir }), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message.startsWith(`eval: --results ${dir}: cannot write: EISDIR`));
    await assert.rejects(runEval({ ...evalArgs, episodes: 1 }), (e) => MetaLearnError.is(e, 'invalidArgument') && /eval: --episodes must be an integer >= 2 \(a 95% interval needs two\), got 1/.test(e.message));
    // A results file that cannot be written is refused before any episode runs.
    await assert.rejects(runEval({ ...evalArgs, results: '' }), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message.startsWith('eval: --results : cannot write: ENOENT'));
    // The 20 one-shot runs are fixed: flags that shape other test episodes are refused, not ignored.
    await assert.rejects(runEval({ ...evalArgs, oneShotRuns: true }), (e) => MetaLearnError.is(e, 'invalidArgument') && /^eval: --one-shot-runs evaluates the 20 fixed 20-way 1-shot runs; --episodes, --eval-seed do not apply \(drop them\)$/.test(e.message));
    const { episodes: _, evalSeed: __, ...noEpisodes } = evalArgs;
    await assert.rejects(runEval({ ...noEpisodes, oneShotRuns: true, queryShots: 2 }), (e) => MetaLearnError.is(e, 'invalidArgument') && /; --query-shots does not apply \(drop it\)$/.test(e.message));
    // Options flags must be JSON objects.
    for (const bad of [5, null, [1]]) {
      await assert.rejects(runEval({ ...evalArgs, learnerOptions: bad as never }), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message === `eval: --learner-options must be a JSON object, got ${JSON.stringify(bad)}`);
      await assert.rejects(runEval({ ...evalArgs, solverOptions: bad as never }), (e) => MetaLearnError.is(e, 'invalidArgument') && e.message.startsWith('eval: --solver-options must be a JSON object'));
    }
    await assert.rejects(runTrain({ config: base, out: join(dir, 'torn.json'), resume: false, quiet: true, backend: 'cpu' }), (e) => MetaLearnError.is(e, 'invalidArgument') && /^train: --out .*torn\.json: cannot write: EEXIST/.test(e.message));
  });
});

test("eval: an outer rule's own evalInnerSteps (Reptile's learner options) is the default at test time, not the CLI's; --learner-options overrides the run's", async () => {
  await inTempDir('metalearn-eval-reptile-', async (dir) => {
    const run = join(dir, 'run');
    const config = { dataset: 'sinusoid', learner: 'reptile', metaSteps: 3, metaBatch: 2, checkpointEvery: 3, logEvery: 1, seed: 1, workers: 1, learnerOptions: { outerLr: 0.1, innerOptimizer: 'sgd', innerLr: 0.02, innerSteps: 2, evalInnerSteps: 7 } };
    await runTrain({ config, out: run, resume: false, quiet: true, backend: 'cpu' });
    const common = { run, episodes: 4, evalSeed: 1, norm: 'transductive' as const, oneShotRuns: false, command: 'test', quiet: true, backend: 'cpu' as const };
    const byDefault = await runEval(common);
    assert.equal(byDefault.innerStepsTest, 7, "the run's learnerOptions.evalInnerSteps");
    const k1 = await runEval({ ...common, innerSteps: 1 });
    assert.equal(k1.innerStepsTest, 1, '--inner-steps wins');
    assert.notEqual(k1.mean, byDefault.mean, '1 and 7 steps give different MSEs');
    // --learner-options sets outer-rule options on top of the run's, and is recorded.
    assert.equal(byDefault.normMode, 'with-support', "Reptile's default protocol: each query example with the support set");
    // Reptile runs its own inner loop: solver options do not change its steps, and are not reported as if they did.
    const solverSteps = await runEval({ ...common, solverOptions: { evalInnerSteps: 3 } });
    assert.deepEqual([solverSteps.innerStepsTest, solverSteps.mean], [7, byDefault.mean]);
    const transductive = await runEval({ ...common, learnerOptions: { transductive: true } });
    assert.equal(transductive.normMode, 'transductive');
    const faster = await runEval({ ...common, learnerOptions: { innerLr: 0.05 } });
    assert.notEqual(faster.mean, byDefault.mean, 'another inner learning rate, another MSE');
    assert.deepEqual([faster.learnerOptions?.['innerLr'], faster.learnerOptions?.['evalInnerSteps'], faster.learnerOptions?.['outerLr']], [0.05, 7, 0.1]);
    assert.equal(byDefault.learnerOptions, undefined, 'not recorded when not given');
    await assert.rejects(runEval({ ...common, learnerOptions: { bogus: 1 } }), (e) => MetaLearnError.is(e, 'invalidArgument') && /bogus/.test((e as Error).message));
  });
});

test('eval: a checkpoint whose adaptation diverges is a nonFinite MetaLearnError naming the episodes, and no record is written', async () => {
  await inTempDir('metalearn-eval-diverge-', async (dir) => {
    const run = join(dir, 'run');
    await runTrain({ config: { ...base, metaSteps: 2 }, out: run, resume: false, quiet: true, backend: 'cpu' });
    // The same checkpoint with an inner learning rate far beyond 2 / (the support loss's curvature).
    const file = join(run, 'checkpoint.json');
    const ckpt = JSON.parse(readFileSync(file, 'utf8')) as { composition: { solverOptions: Record<string, unknown> } };
    ckpt.composition.solverOptions['innerLr'] = 1e3;
    writeFileSync(file, JSON.stringify(ckpt));
    const results = join(dir, 'r.jsonl');
    const common = { run, episodes: 6, evalSeed: 1, norm: 'transductive' as const, oneShotRuns: false, command: 'test', results, quiet: true, backend: 'cpu' as const };
    const before = tf.memory().numTensors;
    await assert.rejects(runEval({ ...common, innerSteps: 40 }), (e) => MetaLearnError.is(e, 'nonFinite') && /eval: 6 of 6 test episodes gave a non-finite mse \(first: episode 0, (NaN|-?Infinity)\): the adaptation diverges at 40 inner steps/.test((e as Error).message));
    assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
    assert.ok(!existsSync(results), 'no record written');
  });
});

test("eval --solver-options applies to the run's own solver too, is validated, and is recorded", async () => {
  await inTempDir('metalearn-eval-options-', async (dir) => {
    const run = join(dir, 'run');
    await runTrain({ config: { ...base, metaSteps: 2 }, out: run, resume: false, quiet: true, backend: 'cpu' });
    const common = { run, episodes: 6, evalSeed: 1, norm: 'transductive' as const, oneShotRuns: false, command: 'test', quiet: true, backend: 'cpu' as const, innerSteps: 3 };
    const own = await runEval(common);
    const faster = await runEval({ ...common, solverOptions: { innerLr: 0.05 } });
    assert.notEqual(faster.mean, own.mean, 'another inner learning rate, another MSE');
    assert.deepEqual(faster.solverOptions?.['innerLr'], 0.05);
    assert.equal(own.solverOptions, undefined);
    assert.equal(faster.trainSolver, undefined, 'the same solver');
    await assert.rejects(runEval({ ...common, solverOptions: { bogus: 1 } }), (e) => MetaLearnError.is(e, 'invalidArgument') && /bogus/.test((e as Error).message));
  });
});

test('train --resume: a changed setting is an error naming it; --meta-steps, when given, is the new budget, lower included', async () => {
  await inTempDir('metalearn-resume-', async (dir) => {
    const run = join(dir, 'run');
    await runTrain({ config: { ...base, metaSteps: 3, backboneOptions: { hiddenSizes: [8], weightStd: 0.3 } }, out: run, resume: false, quiet: true, backend: 'cpu' });
    const before = readFileSync(join(run, 'checkpoint.json'), 'utf8');
    await assert.rejects(
      runTrain({ config: { ...base, innerLr: 0.5, outerLr: 0.5 }, out: run, resume: true, quiet: true, backend: 'cpu' }),
      (e) => MetaLearnError.is(e, 'invalidArgument') && /^train --resume: innerLr 0\.5 \(the run has 0\.01\); outerLr 0\.5 \(the run has 0\.001\): a resumed run keeps its configuration; only metaSteps, maxMinutes/.test((e as Error).message),
    );
    assert.equal(readFileSync(join(run, 'checkpoint.json'), 'utf8'), before, 'the checkpoint is untouched');
    // The same settings again (as a re-typed command line would give) are fine; the budget may change.
    // JSON options with their keys in another order are the same options.
    const r = await runTrain({ config: { ...base, metaSteps: 5, backboneOptions: { weightStd: 0.3, hiddenSizes: [8] } }, out: run, resume: true, quiet: true, backend: 'cpu' });
    assert.deepEqual([r.steps, r.stepsThisSession], [5, 2]);
    const again = await runTrain({ config: { dataset: 'sinusoid', metaSteps: 4 }, out: run, resume: true, quiet: true, backend: 'cpu' });
    assert.deepEqual([again.steps, again.stepsThisSession], [5, 0], 'a budget below the current step trains nothing');
    assert.equal(loadCheckpoint(run).config.metaSteps, 4, 'a lower --meta-steps is the budget now');
    assert.deepEqual([loadCheckpoint(run).config.checkpointEvery, loadCheckpoint(run).config.logEvery], [base.checkpointEvery, base.logEvery], "cadences not given keep the run's values, not the defaults (500, 50)");
  });
});

test("train --resume with a larger --meta-steps lays Reptile's annealed epsilon out over the new budget (it stayed at its final 0: the extra steps changed nothing)", async () => {
  await inTempDir('metalearn-resume-schedule-', async (dir) => {
    const run = join(dir, 'run');
    const config = { dataset: 'sinusoid', learner: 'reptile', metaSteps: 5, metaBatch: 2, checkpointEvery: 5, logEvery: 5, seed: 2, workers: 1 };
    await runTrain({ config, out: run, resume: false, quiet: true, backend: 'cpu' });
    const before = loadCheckpoint(run);
    assert.equal(before.composition.learnerOptions['totalSteps'], 5);
    const r = await runTrain({ config: { ...config, metaSteps: 15 }, out: run, resume: true, quiet: true, backend: 'cpu' });
    assert.deepEqual([r.steps, r.stepsThisSession], [15, 10]);
    const after = loadCheckpoint(run);
    assert.equal(after.composition.learnerOptions['totalSteps'], 15, 'the schedule spans the new budget');
    const moved = Object.keys(before.state.tensors).some((n) => before.state.tensors[n]!.values.some((v, i) => v !== after.state.tensors[n]!.values[i]));
    assert.ok(moved, 'the ten new meta-steps moved theta');
  });
});

test('eval --solver: a solver that takes steps gets --inner-steps (and reports them); a closed-form solver refuses --inner-steps', async () => {
  await inTempDir('metalearn-eval-steps-', async (dir) => {
    const run = join(dir, 'run');
    await runTrain({ config: { ...base, metaSteps: 2 }, out: run, resume: false, quiet: true, backend: 'cpu' });
    const common = { run, episodes: 4, norm: 'transductive' as const, oneShotRuns: false, command: 'test', quiet: true, backend: 'cpu' as const, solver: 'implicit' };
    const one = await runEval({ ...common, innerSteps: 1 });
    const many = await runEval({ ...common, innerSteps: 30 });
    assert.deepEqual([one.innerStepsTest, many.innerStepsTest], [1, 30]);
    assert.notEqual(one.mean, many.mean, '1 and 30 implicit inner steps give different MSEs');
    await assert.rejects(runEval({ ...common, solver: 'ridge', innerSteps: 3 }), (e) => MetaLearnError.is(e, 'invalidArgument') && /^eval: --inner-steps does not apply: solver 'ridge' takes no inner steps/.test((e as Error).message));
    assert.equal((await runEval({ ...common, solver: 'ridge' })).innerStepsTest, 0);
  });
});

