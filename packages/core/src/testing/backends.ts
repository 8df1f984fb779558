/**
 * Running a group of node:test subtests once per backend.
 */
import type { TestContext } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, initEngine, type BackendName } from '../engine/backend.js';

/**
 * Runs `body` as one subtest per backend (named after it), with that backend active, then
 * restores the backend that was active before.
 * @param t - the parent test's context.
 * @param backends - the backends; default every one that initialises here.
 * @param body - registers the property subtests.
 */
export async function forEachBackend(t: TestContext, backends: readonly BackendName[] | undefined, body: (t: TestContext, backend: BackendName) => Promise<void>): Promise<void> {
  await initEngine({ log: () => {} });
  const original = tf.getBackend();
  const list = backends ?? (await availableBackends());
  try {
    for (const backend of list) {
      await t.test(backend, async (tb) => {
        await initEngine({ backend, log: () => {} });
        await body(tb, backend);
      });
    }
  } finally {
    await tf.setBackend(original);
  }
}
