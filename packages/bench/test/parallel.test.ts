// Meta-batches split across worker threads (packages/bench/src/parallel): for every solver and
// outer rule, on small synthetic problems, the parallel meta-gradient with 2 threads (main + 1
// worker) equals the serial one within float32 rounding, and 3 meta-steps give the same
// parameters; odd meta-batches; errors in a worker name the task and change nothing; the pool
// leaves no handle; `train --workers 2` resumes bitwise.
// Tolerances (float32 sums in another order): meta-gradient max |Σ parts − serial| <= 1e-5 · max |g|;
// parameters after 3 SGD meta-steps max |θ_par − θ_ser| <= 1e-5 · max(1, max |θ|); losses 1e-5 relative.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTsChild } from './child-process.js';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError, disposeEpisode, initEngine, type BackendName, type Episode, type Learner, type MetaGradient } from '@metalearn/core';
import { syntheticEpisode } from '@metalearn/core/testing';
import { createHostContainer } from '../src/container.js';
import { createComposedLearner, type Composition, type TaskShape } from '../src/compose.js';
import { createParallelMetaStep } from '../src/parallel/parallel-meta-step.js';
import { splitContiguous } from '../src/parallel/chunks.js';
import { runTrain } from '../src/commands/train.js';
import { loadCheckpoint } from '../src/checkpoint-file.js';

const task: TaskShape = { kind: 'classification', ways: 3, inputShape: [4] };
const backprop = { outerLr: 0.1, optimizer: 'sgd' };
const mlp = { hiddenSizes: [8], activation: 'tanh', weightStd: 0.5 };
const compositions: Record<string, Composition> = {
  'maml (second order)': { backbone: 'mlp', backboneOptions: mlp, head: 'linear', solver: 'gradient', solverOptions: { innerSteps: 2, innerLr: 0.3, order: 'second' }, outerRule: 'backprop', learnerOptions: backprop },
  'fomaml (first order)': { backbone: 'mlp', backboneOptions: mlp, head: 'linear', solver: 'gradient', solverOptions: { innerSteps: 2, innerLr: 0.3, order: 'first' }, outerRule: 'backprop', learnerOptions: backprop },
  ridge: { backbone: 'mlp', backboneOptions: mlp, head: 'linear', solver: 'ridge', solverOptions: {}, outerRule: 'backprop', learnerOptions: backprop },
  svm: { backbone: 'mlp', backboneOptions: mlp, head: 'linear', solver: 'svm', solverOptions: {}, outerRule: 'backprop', learnerOptions: backprop },
  implicit: { backbone: 'mlp', backboneOptions: mlp, head: 'linear', solver: 'implicit', solverOptions: { innerSteps: 3, innerLr: 0.1, lambda: 1, cgSteps: 5 }, outerRule: 'backprop', learnerOptions: backprop },
  context: { backbone: 'mlp', backboneOptions: { ...mlp, contextDim: 2 }, head: 'linear', solver: 'context', solverOptions: { contextDim: 2, innerSteps: 2, innerLr: 0.5 }, outerRule: 'backprop', learnerOptions: backprop },
  // Mini-batches of 4 from 12 examples: task i of the meta-batch draws from its global index.
  reptile: { backbone: 'mlp', backboneOptions: mlp, head: 'linear', solver: 'gradient', solverOptions: {}, outerRule: 'reptile', learnerOptions: { outerLr: 0.5, innerOptimizer: 'sgd', innerSteps: 3, innerLr: 0.1, innerBatchSize: 4 } },
};

const episodes = (seed: number, n: number): Episode[] =>
  Array.from({ length: n }, (_, i) => syntheticEpisode(1000 * seed + i, { kind: 'classification', ways: 3, shots: 2, queryShots: 2, inputShape: [4] }));

const build = (c: Composition, seed = 5): Learner => createComposedLearner(createHostContainer(), c, task, seed);

function flat(sums: Readonly<Record<string, Float32Array>>): number[] {
  return Object.keys(sums).sort().flatMap((n) => Array.from(sums[n]!));
}
function sumParts(parts: readonly MetaGradient[]): number[] {
  const out = flat(parts[0]!.sums);
  for (const p of parts.slice(1)) flat(p.sums).forEach((v, i) => (out[i]! += v));
  return out;
}
function params(l: Learner): number[] {
  return flat(l.exportParams().values);
}
const maxAbs = (xs: readonly number[]): number => xs.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
const maxDiff = (a: readonly number[], b: readonly number[]): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

test('splitContiguous: near-equal contiguous chunks, larger first, covering every task once', () => {
  assert.deepEqual(splitContiguous(3, 2), [{ start: 0, end: 2 }, { start: 2, end: 3 }]);
  assert.deepEqual(splitContiguous(8, 3), [{ start: 0, end: 3 }, { start: 3, end: 6 }, { start: 6, end: 8 }]);
  assert.deepEqual(splitContiguous(1, 4), [{ start: 0, end: 1 }]);
  assert.throws(() => splitContiguous(0, 2), (e) => MetaLearnError.is(e, 'invalidArgument') && /n must be/.test(e.message));
  assert.throws(() => splitContiguous(2, 0), (e) => MetaLearnError.is(e, 'invalidArgument') && /parts must be/.test(e.message));
});

async function checkEquality(t: import('node:test').TestContext, name: string, c: Composition, backend: BackendName): Promise<void> {
  await initEngine({ backend, log: () => {} });
  const serial = build(c);
  const par = build(c);
  const stepper = await createParallelMetaStep({ learner: par, workers: 2, recipe: { composition: c, task, seed: 5, backend } });
  try {
    // Meta-gradient of 4 tasks: main thread tasks 0..1, the worker 2..3.
    const four = episodes(1, 4);
    const whole = serial.metaGradient(four);
    const parts = await stepper.metaGradient(four);
    assert.deepEqual(parts.map((p) => p.tasks), [2, 2]);
    const g = flat(whole.sums);
    const gErr = maxDiff(sumParts(parts), g);
    const gTol = 1e-5 * maxAbs(g);
    assert.ok(maxAbs(g) > 0);
    assert.ok(gErr <= gTol, `${name}: parallel meta-gradient differs from the serial one by ${gErr} > ${gTol}`);
    four.forEach(disposeEpisode);
    // 3 meta-steps of an odd meta-batch (3 tasks: 2 on the main thread, 1 on the worker).
    let lossErr = 0;
    for (let s = 0; s < 3; s++) {
      const three = episodes(10 + s, 3);
      const ms = serial.metaTrainStep(three);
      const mp = await stepper.step(three);
      three.forEach(disposeEpisode);
      assert.equal(mp.step, ms.step);
      lossErr = Math.max(lossErr, Math.abs(mp.loss - ms.loss) / Math.max(1, Math.abs(ms.loss)));
      assert.ok(Math.abs(mp.accuracy! - ms.accuracy!) < 1e-9, 'accuracies are counts: equal');
    }
    const ps = params(serial);
    const pErr = maxDiff(params(par), ps);
    const pTol = 1e-5 * Math.max(1, maxAbs(ps));
    assert.ok(lossErr <= 1e-5, `${name}: losses differ by ${lossErr} (relative)`);
    assert.ok(pErr <= pTol, `${name}: parameters after 3 meta-steps differ by ${pErr} > ${pTol}`);
    t.diagnostic(`${backend} ${name}: meta-gradient max error ${gErr.toExponential(2)} (tolerance ${gTol.toExponential(2)}); after 3 steps of 3 tasks params ${pErr.toExponential(2)} (tolerance ${pTol.toExponential(2)}), losses ${lossErr.toExponential(2)} (tolerance 1e-5)`);
  } finally {
    await stepper.close();
    serial.dispose();
    par.dispose();
  }
}

for (const [name, c] of Object.entries(compositions)) {
  test(`${name}: 2 threads give the serial meta-gradient and, over 3 meta-steps of 3 tasks, the serial parameters (cpu)`, (t) => checkEquality(t, name, c, 'cpu'));
}
test('maml (second order) on wasm: 2 threads give the serial meta-gradient and parameters', (t) => checkEquality(t, 'maml (second order)', compositions['maml (second order)']!, 'wasm'));

test('an error in a worker is a MetaLearnError naming the task; the learner is unchanged; a closed stepper refuses to step', async () => {
  await initEngine({ backend: 'cpu', log: () => {} });
  const c = compositions['maml (second order)']!;
  const learner = build(c);
  const stepper = await createParallelMetaStep({ learner, workers: 2, recipe: { composition: c, task, seed: 5, backend: 'cpu' } });
  const start = params(learner);
  const eps = episodes(3, 3);
  // tasks[2] (the worker's chunk) has a NaN query example.
  const bad = eps.map((e, i) => (i === 2 ? { ...e, query: { x: tf.fill(e.query.x.shape, NaN), y: e.query.y } } : e));
  try {
    await assert.rejects(stepper.step(bad), (e) => MetaLearnError.is(e, 'nonFinite') && /tasks\[2\]/.test(e.message) && /worker/.test(e.message));
    assert.deepEqual(params(learner), start, 'the meta-parameters are unchanged');
    assert.equal(learner.exportParams().step, 0, 'and the step');
    // In the main thread's chunk: named too.
    const bad0 = eps.map((e, i) => (i === 0 ? bad[2]! : e));
    await assert.rejects(stepper.step(bad0), (e) => MetaLearnError.is(e, 'nonFinite') && /tasks\[0\]/.test(e.message));
    // A malformed task is refused before anything is sent.
    await assert.rejects(stepper.step([eps[0]!, { ...eps[1]!, ways: 4 }]), (e) => MetaLearnError.is(e, 'invalidArgument') && /tasks\[1\]\.ways/.test(e.message));
    assert.deepEqual(params(learner), start);
    // The stepper still works afterwards.
    const m = await stepper.step(eps);
    assert.equal(m.step, 1);
    await stepper.close();
    await assert.rejects(stepper.step(eps), (e) => MetaLearnError.is(e, 'invalidArgument') && /closed/.test(e.message));
    assert.equal(learner.exportParams().step, 1);
  } finally {
    await stepper.close();
    learner.dispose();
    tf.dispose(bad[2]!.query.x);
    eps.forEach(disposeEpisode);
  }
});

test('a process that ran parallel meta-steps and closed its stepper exits by itself (no leaked thread or handle)', () => {
  const fixture = fileURLToPath(new URL('./fixtures/parallel-exit.ts', import.meta.url));
  const r = runTsChild(fixture, [], 60_000);
  assert.equal(r.signal, null, `the child was killed by ${r.signal} after 60 s: it did not exit (stderr: ${r.stderr})`);
  assert.equal(r.status, 0, `exit code 0, got ${r.status}: ${r.stderr}`);
  assert.match(r.stdout, /step 1/);
});

test('train --workers 2: resumed from a checkpoint, bitwise equal to an uninterrupted run; workers recorded in the run config', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'metalearn-parallel-'));
  const base = { dataset: 'sinusoid', learner: 'maml', metaSteps: 8, metaBatch: 5, checkpointEvery: 4, logEvery: 4, seed: 3, workers: 2 };
  try {
    const full = join(dir, 'full');
    await runTrain({ config: base, out: full, resume: false, quiet: true, backend: 'cpu' });
    const part = join(dir, 'part');
    await runTrain({ config: { ...base, metaSteps: 4 }, out: part, resume: false, quiet: true, backend: 'cpu' });
    await runTrain({ config: base, out: part, resume: true, quiet: true, backend: 'cpu' });
    const a = loadCheckpoint(full);
    const b = loadCheckpoint(part);
    assert.equal(b.state.step, 8);
    assert.deepEqual(b.state.tensors, a.state.tensors, 'bitwise-equal checkpoints');
    assert.equal(a.config.workers, 2);
    assert.equal((JSON.parse(readFileSync(join(full, 'config.json'), 'utf8')) as { config: { workers: number } }).config.workers, 2);
    const serial = join(dir, 'serial');
    await runTrain({ config: { ...base, workers: 1 }, out: serial, resume: false, quiet: true, backend: 'cpu' });
    const s = loadCheckpoint(serial).state.tensors;
    const diff = Math.max(...Object.keys(s).filter((k) => k.startsWith('params/')).map((k) => maxDiff(a.state.tensors[k]!.values, s[k]!.values)));
    assert.ok(diff < 1e-4, `workers 2 vs 1 after 8 Adam meta-steps: max parameter difference ${diff}`);
    t.diagnostic(`sinusoid MAML, meta-batch 5 on 2 threads (3 + 2 tasks): resumed run bitwise equal; against --workers 1 after 8 Adam meta-steps max |Δθ| = ${diff.toExponential(2)} (tolerance 1e-4)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
