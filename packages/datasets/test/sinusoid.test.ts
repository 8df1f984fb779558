import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { MetaLearnError, availableBackends, disposeEpisode, initEngine } from '@metalearn/core';
import { createSinusoidSource, sampleSinusoidTask, sinusoidTaskData } from '@metalearn/datasets';

await initEngine({ log: () => undefined });

test('every task over 2000 lies in MAML ranges: A in [0.1, 5], phase in [0, pi], x in [-5, 5], y = A sin(x - phase) (float32, |err| <= 3e-7 |A|)', () => {
  let sumA = 0;
  let sumPhase = 0;
  for (let i = 0; i < 2000; i++) {
    const d = sinusoidTaskData({ shots: 5, seed: 17 }, i);
    assert.ok(d.amplitude >= 0.1 && d.amplitude <= 5, `A = ${d.amplitude}`);
    assert.ok(d.phase >= 0 && d.phase <= Math.PI, `phase = ${d.phase}`);
    sumA += d.amplitude;
    sumPhase += d.phase;
    for (const set of [d.support, d.query]) {
      assert.equal(set.x.length, 5);
      for (let k = 0; k < set.x.length; k++) {
        const x = set.x[k]!;
        assert.ok(x >= -5 && x <= 5, `x = ${x}`);
        // y was computed from the float64 x before rounding; |dy/dx| <= A, so allow A * ulp(x) too.
        const err = Math.abs(set.y[k]! - d.amplitude * Math.sin(x - d.phase));
        assert.ok(err <= 3e-7 * d.amplitude + 1e-7, `task ${i}: |y - A sin(x - phase)| = ${err}`);
      }
    }
  }
  // Uniform means: E[A] = 2.55 (sd 1.414, standard error 0.032), E[phase] = pi/2 (sd 0.907, se 0.020).
  assert.ok(Math.abs(sumA / 2000 - 2.55) < 0.15, `mean A = ${sumA / 2000}`);
  assert.ok(Math.abs(sumPhase / 2000 - Math.PI / 2) < 0.1, `mean phase = ${sumPhase / 2000}`);
});

test('fixed seed -> fixed numbers (pinned task 0 of seed 0), and other indices or seeds differ', () => {
  const d = sinusoidTaskData({ shots: 3, seed: 0 }, 0);
  assert.equal(d.amplitude, 1.594694591057487);
  assert.equal(d.phase, 1.332123299756738);
  assert.deepEqual([...d.support.x], [-3.3244829177856445, 4.591954231262207, 0.353568971157074]);
  assert.deepEqual([...d.query.x], [1.9095065593719482, 0.3584439754486084, -1.354832649230957]);
  assert.deepEqual(sinusoidTaskData({ shots: 3, seed: 0 }, 0), d, 'same (seed, index), same numbers');
  assert.notEqual(sinusoidTaskData({ shots: 3, seed: 0 }, 1).amplitude, d.amplitude);
  assert.notEqual(sinusoidTaskData({ shots: 3, seed: 1 }, 0).amplitude, d.amplitude);
});

test('episodes: kind regression, ways 1, x and y float32 [K, 1]; queryShots defaults to shots; no leaked tensors on any backend', async () => {
  for (const backend of await availableBackends()) {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const e = sampleSinusoidTask({ shots: 10, seed: 3 }, 4);
    const d = sinusoidTaskData({ shots: 10, seed: 3 }, 4);
    assert.equal(e.kind, 'regression');
    assert.deepEqual([e.ways, e.shots, e.queryShots], [1, 10, 10]);
    for (const t of [e.support.x, e.support.y, e.query.x, e.query.y]) {
      assert.deepEqual(t.shape, [10, 1]);
      assert.equal(t.dtype, 'float32');
    }
    assert.deepEqual([...(await e.support.y.data())], [...d.support.y], backend);
    assert.equal(e.amplitude, d.amplitude);
    disposeEpisode(e);
    const src = createSinusoidSource({ shots: 5, queryShots: 20, seed: 3 });
    const batch = src.metaBatch(2, 3);
    assert.deepEqual(batch.map((b) => b.amplitude), [6, 7, 8].map((i) => sinusoidTaskData({ shots: 5, seed: 3 }, i).amplitude));
    assert.deepEqual(batch[0]!.query.x.shape, [20, 1]);
    batch.forEach(disposeEpisode);
    assert.equal(tf.memory().numTensors, before, `${backend}: all disposed`);
  }
});

test('custom ranges and the warp hook (an input shift, as a distribution shift at meta-test time)', () => {
  const d = sinusoidTaskData({ shots: 200, seed: 5, amplitudeRange: [5, 10], phaseRange: [0, 0], xRange: [0, 1] }, 0);
  assert.ok(d.amplitude >= 5 && d.amplitude <= 10);
  assert.equal(d.phase, 0);
  assert.ok(d.support.x.every((x) => x >= 0 && x <= 1));
  const plain = sinusoidTaskData({ shots: 4, seed: 8 }, 2);
  const warped = sinusoidTaskData({ shots: 4, seed: 8, warp: (p) => ({ x: p.x + 10, y: p.y }) }, 2);
  assert.equal(warped.amplitude, plain.amplitude, 'the warp does not change the task draw');
  for (let k = 0; k < 4; k++) {
    assert.ok(Math.abs(warped.support.x[k]! - (plain.support.x[k]! + 10)) < 1e-5);
    assert.equal(warped.support.y[k], plain.support.y[k]);
  }
});

test('invalidArgument naming the argument', () => {
  const bad = (f: () => unknown, what: RegExp) => assert.throws(f, (e) => MetaLearnError.is(e, 'invalidArgument') && what.test(e.message));
  bad(() => sinusoidTaskData({ shots: 0, seed: 1 }, 0), /sinusoidTaskData: options\.shots must be an integer >= 1, got 0/);
  bad(() => sinusoidTaskData({ shots: 1, queryShots: 2.5, seed: 1 }, 0), /options\.queryShots/);
  bad(() => sinusoidTaskData({ shots: 1, seed: 1.5 }, 0), /options\.seed/);
  bad(() => sinusoidTaskData({ shots: 1, seed: 1, amplitudeRange: [5, 1] }, 0), /options\.amplitudeRange must be \[lo, hi\]/);
  bad(() => sinusoidTaskData({ shots: 1, seed: 1 }, -1), /index must be a non-negative/);
  bad(() => sinusoidTaskData({ shots: 1, seed: 1, warp: () => ({ x: NaN, y: 0 }) }, 0), /options\.warp must return finite numbers/);
  bad(() => createSinusoidSource({ shots: 1, seed: 1 }).metaBatch(0, 0), /metaBatchSize/);
});
