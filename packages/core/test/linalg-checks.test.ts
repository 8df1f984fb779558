// The doctor's linalg and HVP self-checks pass on every backend, report their measured errors,
// and leak no tensor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, initEngine, linalgChecks, runCheck } from '@metalearn/core';

test('linalgChecks: every check passes on every backend with its error under tolerance, no leaked tensors', async (t) => {
  const backends = await availableBackends();
  assert.ok(backends.length >= 2, backends.join());
  assert.deepEqual(
    linalgChecks.map((c) => c.name),
    [
      'linalg/cholesky-reconstruction',
      'linalg/cholesky-solve-residual',
      'linalg/cholesky-gradient-fd',
      'linalg/cholesky-solve-gradient-fd',
      'linalg/not-positive-definite',
      'hvp/exact-quadratic',
      'hvp/finite-difference-quadratic',
      'hvp/exact-through-solve',
    ],
  );
  for (const backend of backends) {
    await initEngine({ backend, log: () => {} });
    const before = tf.memory().numTensors;
    for (const check of linalgChecks) {
      const r = await runCheck(check);
      t.diagnostic(`${backend} ${r.name}: error ${r.error === null ? r.message : r.error.toExponential(2)} (tolerance ${r.tolerance})`);
      assert.ok(r.pass, `${backend} ${r.name}: ${JSON.stringify(r)}`);
    }
    assert.equal(tf.memory().numTensors, before, `${backend}: leaked tensors`);
  }
});
