// Identity (tf.clone) on every backend; on wasm it shares the input's data instead of copying
// (kernel-identity-wasm.ts): values equal, one data buffer for both tensors (tf.memory().numDataBuffers),
// either may be disposed first and the other stays readable, a variable assigned after being
// cloned leaves the clone unchanged, and memory returns to its start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, initEngine } from '@metalearn/core';
import { identityWasm } from '../src/engine/kernels/kernel-identity-wasm.js';

const backends = await availableBackends();

test('clone shares data, survives either disposal order and a variable assignment, on every backend', async () => {
  assert.ok(backends.includes('wasm'), backends.join());
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    if (backend === 'wasm') assert.equal(tf.getKernel('Identity', 'wasm')?.kernelFunc, identityWasm);
    const start = tf.memory();
    const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    const y = tf.clone(x);
    assert.equal(tf.memory().numDataBuffers, start.numDataBuffers + 1, `${backend}: one data buffer for x and its clone`);
    assert.equal(tf.memory().numBytes, start.numBytes + 48, `${backend}: tfjs counts 24 bytes per tensor`);
    assert.equal(tf.memory().numTensors, start.numTensors + 2);
    x.dispose();
    assert.deepEqual(y.arraySync(), [[1, 2, 3], [4, 5, 6]], `${backend}: clone readable after the original is disposed`);
    const z = tf.clone(y);
    z.dispose();
    assert.deepEqual(y.arraySync(), [[1, 2, 3], [4, 5, 6]], `${backend}: original readable after its clone is disposed`);
    y.dispose();
    const init = tf.tensor1d([7, 8]);
    const v = tf.variable(init);
    const c = tf.clone(v);
    const next = tf.tensor1d([9, 10]);
    v.assign(next);
    assert.deepEqual(Array.from(c.dataSync()), [7, 8], `${backend}: a clone keeps its values when the variable is assigned`);
    assert.deepEqual(Array.from(v.dataSync()), [9, 10]);
    const ints = tf.tensor1d([1, 2], 'int32');
    const intsClone = tf.clone(ints);
    assert.equal(intsClone.dtype, 'int32');
    assert.deepEqual(Array.from(intsClone.dataSync()), [1, 2]);
    tf.dispose([init, v, c, next, ints, intsClone]);
    const end = tf.memory();
    assert.equal(end.numTensors, start.numTensors, `${backend}: tensors back to start`);
    assert.equal(end.numBytes, start.numBytes, `${backend}: bytes back to start`);
  }
});
