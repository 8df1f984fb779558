// Shared helpers of core's engine-level tests (hvp, linalg forward values and gradients).
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, initEngine } from '@metalearn/core';

const backends = await availableBackends();

/**
 * Runs `body` once on every backend present (cpu and wasm here, asserted), with that backend
 * active, and asserts that it leaks no tensor (`tf.memory().numTensors` back to its start).
 * @param body - the checks; gets the backend's name for messages.
 */
export async function onEveryBackend(body: (backend: string) => void): Promise<void> {
  assert.ok(backends.length >= 2, `expected cpu and wasm, got ${backends.join()}`);
  for (const b of backends) {
    await initEngine({ backend: b, log: () => {} });
    const before = tf.memory().numTensors;
    body(b);
    assert.equal(tf.memory().numTensors, before, `${b}: leaked tensors`);
  }
}
