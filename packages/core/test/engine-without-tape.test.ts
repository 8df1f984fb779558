// withoutTape (engine/without-tape.ts): the engine's tape state is restored after the body, also
// when the body throws (and the half-built tape's saved tensors are freed); the body can take its
// own gradients, whose values are constants for the enclosing tape (d/dx [x² + c] = 2x, not 2x + 6x).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine, MetaLearnError, withoutTape } from '@metalearn/core';

test('withoutTape restores the tape state (also on throw) and its body can take gradients (cpu)', async () => {
  await initEngine({ backend: 'cpu', log: () => {} });
  const state = tf.engine().state;
  const start = tf.memory().numTensors;
  const x = tf.scalar(3);
  // Outer gradient of x² + c(x), c computed off the tape from the inner gradient 3x²: the outer sees only 2x.
  const g = tf.grad((v: tf.Tensor) => {
    const depth = state.gradientDepth;
    const c = withoutTape(() => {
      assert.equal(state.gradientDepth, 0);
      return tf.grad((u: tf.Tensor) => tf.pow(u, 3) as tf.Scalar)(v); // 3 v² = 27, a constant outside
    });
    assert.equal(state.gradientDepth, depth, 'depth restored');
    assert.ok(Array.isArray(state.activeTape), 'outer tape restored');
    return tf.add(tf.square(v), c) as tf.Scalar;
  })(x);
  assert.equal(g.dataSync()[0], 6);
  g.dispose();
  // A throwing body leaves no tape and no tensor behind.
  tf.tidy(() => {
    tf.engine().gradients(() => {
      const before = { d: state.gradientDepth, k: state.kernelDepth, tape: state.activeTape };
      assert.throws(() => withoutTape(() => tf.grad((u: tf.Tensor) => {
        tf.square(u);
        throw new MetaLearnError('nonFinite', 'boom');
      })(x)), /boom/);
      assert.equal(state.gradientDepth, before.d);
      assert.equal(state.kernelDepth, before.k);
      assert.equal(state.activeTape, before.tape);
      return tf.square(x) as tf.Scalar;
    }, [x]);
  });
  x.dispose();
  assert.equal(tf.memory().numTensors, start, 'no tensor left');
});

