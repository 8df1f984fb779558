// sinusoidEpisodes (core/testing): every episode's 2K points lie on one y = A sin(x - phi) with A,
// x and phi in their ranges (least-squares fit in float64 of y = a sin x + b cos x over the 10
// points; residual tolerance 1e-5 covers float32 storage of x and y, |y| <= 5, ~1e-6), the same
// seed gives the same tensors and another seed others, and nothing leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { disposeEpisode, initEngine, type Episode } from '@metalearn/core';
import { MAML_SINUSOID_RANGES, sinusoidEpisodes, type SinusoidEpisodeRanges } from '@metalearn/core/testing';

await initEngine({ backend: 'cpu', log: () => {} });

const queryYs = (episodes: Episode[]): number[][] => episodes.map((e) => [...e.query.y.dataSync()]);

test('sinusoidEpisodes: support and query lie on one y = A sin(x - phi), A and x in range, phi in [0, pi]; seeded', (t) => {
  const start = tf.memory().numTensors;
  const narrow: SinusoidEpisodeRanges = { amplitude: [0.5, 2], x: [-3, 3] };
  for (const ranges of [MAML_SINUSOID_RANGES, narrow]) {
    const episodes = sinusoidEpisodes(4, 6, 5, ranges);
    let worst = 0;
    for (const e of episodes) {
      assert.deepEqual([e.kind, e.ways, e.shots, e.queryShots], ['regression', 1, 5, 5]);
      assert.deepEqual([e.support.x.shape, e.support.y.shape, e.query.x.shape, e.query.y.shape], [[5, 1], [5, 1], [5, 1], [5, 1]]);
      const x = [...e.support.x.dataSync(), ...e.query.x.dataSync()];
      const y = [...e.support.y.dataSync(), ...e.query.y.dataSync()];
      assert.ok(x.every((v) => v >= ranges.x[0] && v <= ranges.x[1]), `x in [${ranges.x}]`);
      // y = a sin x + b cos x, a = A cos(phi), b = -A sin(phi): normal equations of the 2-column fit.
      let [ss, sc, cc, sy, cy] = [0, 0, 0, 0, 0];
      for (let i = 0; i < x.length; i++) {
        const [s, c] = [Math.sin(x[i]!), Math.cos(x[i]!)];
        [ss, sc, cc, sy, cy] = [ss + s * s, sc + s * c, cc + c * c, sy + s * y[i]!, cy + c * y[i]!];
      }
      const det = ss * cc - sc * sc;
      const a = (sy * cc - cy * sc) / det;
      const b = (ss * cy - sc * sy) / det;
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(a * Math.sin(x[i]!) + b * Math.cos(x[i]!) - y[i]!));
      const amp = Math.hypot(a, b);
      const phase = Math.atan2(-b, a);
      assert.ok(amp >= ranges.amplitude[0] - 1e-5 && amp <= ranges.amplitude[1] + 1e-5, `A = ${amp} in [${ranges.amplitude}]`);
      assert.ok(phase >= -1e-5 && phase <= Math.PI + 1e-5, `phi = ${phase} in [0, pi]`);
    }
    t.diagnostic(`A in [${ranges.amplitude}]: max |fit residual| ${worst.toExponential(2)} (tolerance 1e-5)`);
    assert.ok(worst < 1e-5, `max residual ${worst}`);
    const again = sinusoidEpisodes(4, 6, 5, ranges);
    const other = sinusoidEpisodes(5, 6, 5, ranges);
    assert.deepEqual(queryYs(again), queryYs(episodes), 'same seed, same values');
    assert.notDeepEqual(queryYs(other), queryYs(episodes), 'another seed, other values');
    [...episodes, ...again, ...other].forEach(disposeEpisode);
  }
  assert.equal(tf.memory().numTensors, start, 'no leaked tensor');
});
