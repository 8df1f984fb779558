import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine, availableBackends, MetaLearnError } from '@metalearn/core';

test('initEngine prefers wasm here (tfjs-node absent), honours a forced backend, rejects an unknown one', async () => {
  const lines: string[] = [];
  const info = await initEngine({ log: (l) => lines.push(l) });
  assert.ok(['tensorflow', 'wasm'].includes(info.backend), info.backend);
  assert.equal(tf.getBackend(), info.backend);
  assert.equal(lines.length, 1);
  const cpu = await initEngine({ backend: 'cpu', log: (l) => lines.push(l) });
  assert.equal(cpu.backend, 'cpu');
  assert.equal(cpu.reason, 'forced by option');
  assert.equal(lines.length, 1, 'the choice is logged once');
  await assert.rejects(initEngine({ backend: 'gpu' as never }), (e) => MetaLearnError.is(e, 'invalidArgument'));
  if (!(await availableBackends()).includes('tensorflow')) {
    // tfjs-node absent (as here): forcing it says why, and how to get it.
    await assert.rejects(initEngine({ backend: 'tensorflow' }), (e) => MetaLearnError.is(e, 'backendUnavailable') && /@tensorflow\/tfjs-node did not load \(.+\); it is an optional dependency/.test((e as Error).message));
  }
  const all = await availableBackends();
  assert.ok(all.includes('cpu') && all.includes('wasm'), all.join());
});
