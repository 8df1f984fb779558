// Outer optimizers against hand-computed numbers (float64 reference values computed from the
// update formulas by hand, stated below; tfjs computes in float32, so tolerance 1e-6 absolute on
// values of order 1), the cosine schedule against its closed form, global-norm clipping, state
// and tensor hygiene. Runs on every available backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  adam, sgd, cosineSchedule, constantSchedule, clipByGlobalNorm, availableBackends, disposeParams,
  MetaLearnError, type Params, type OptimizerState,
} from '@metalearn/core';

const backends = await availableBackends();

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}
function close(actual: number[], expected: number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) <= tol, `${what}[${i}]: ${a} vs ${expected[i]} (tol ${tol})`));
}
function disposeState(s: OptimizerState): void {
  for (const slot of Object.values(s.slots)) disposeParams(slot);
}

for (const backend of backends) {
  test(`[${backend}] adam: three steps match the hand-computed Kingma & Ba update`, async () => {
    await tf.setBackend(backend);
    const start = tf.memory().numTensors;
    // p0 = [1, -2]; lr = 0.1, beta1 = 0.9, beta2 = 0.999, eps = 1e-8.
    // t=1, g=[0.5,-1]: m=[0.05,-0.1], v=[2.5e-4,1e-3], m_hat=g, v_hat=g^2 → p=[0.9,-1.9] (to 1e-8).
    // t=2, g=[1,0.5]: m=[0.145,-0.04], v=[1.24975e-3,1.249e-3], c1=0.19, c2=1.999e-3
    //   → p=[0.80348180064, -1.87336629737].
    // t=3, g=[-0.25,0]: m=[0.1055,-0.036], v=[1.31100025e-3,1.247751e-3], c1=0.271, c2=2.997001e-3
    //   → p=[0.74462112826, -1.85277836733].
    const expected = [
      { p: [0.900000002, -1.900000001], m: [0.05, -0.1], v: [0.00025, 0.001] },
      { p: [0.8034818006385094, -1.873366297370903], m: [0.145, -0.04], v: [0.00124975, 0.001249] },
      { p: [0.7446211282555567, -1.8527783673314504], m: [0.1055, -0.036], v: [0.00131100025, 0.001247751] },
    ];
    const grads = [[0.5, -1], [1, 0.5], [-0.25, 0]];
    const opt = adam();
    let params: Params = { w: tf.tensor1d([1, -2]) };
    let state = opt.init(params);
    assert.equal(state.count, 0);
    close(values(state.slots['m']!['w']!), [0, 0], 0, 'm0');
    for (let t = 0; t < 3; t++) {
      const g = { w: tf.tensor1d(grads[t]!) };
      const next = opt.update(g, state, params, 0.1);
      disposeParams(g);
      disposeParams(params);
      disposeState(state);
      ({ params, state } = next);
      assert.equal(state.count, t + 1);
      close(values(params['w']!), expected[t]!.p, 1e-6, `p after step ${t + 1}`);
      close(values(state.slots['m']!['w']!), expected[t]!.m, 1e-7, `m after step ${t + 1}`);
      close(values(state.slots['v']!['w']!), expected[t]!.v, 1e-9, `v after step ${t + 1}`);
    }
    disposeParams(params);
    disposeState(state);
    assert.equal(tf.memory().numTensors, start, 'adam leaks no tensor');
  });

  test(`[${backend}] sgd: plain, momentum and Nesterov steps match hand-computed values`, async () => {
    await tf.setBackend(backend);
    const start = tf.memory().numTensors;
    const run = (opt: ReturnType<typeof sgd>, lr: number): number[][] => {
      let params: Params = { w: tf.tensor1d([1, -2]) };
      let state = opt.init(params);
      const out: number[][] = [];
      for (const gv of [[0.5, -1], [1, 0.5]]) {
        const g = { w: tf.tensor1d(gv) };
        const next = opt.update(g, state, params, lr);
        disposeParams(g);
        disposeParams(params);
        disposeState(state);
        ({ params, state } = next);
        out.push(values(params['w']!));
      }
      disposeParams(params);
      disposeState(state);
      return out;
    };
    // plain: p1 = p0 - 0.1 g1 = [0.95,-1.9]; p2 = p1 - 0.1 g2 = [0.85,-1.95].
    const plain = run(sgd(), 0.1);
    close(plain[0]!, [0.95, -1.9], 1e-6, 'plain 1');
    close(plain[1]!, [0.85, -1.95], 1e-6, 'plain 2');
    // momentum 0.9: b1=g1, p1=[0.95,-1.9]; b2=0.9 b1+g2=[1.45,-0.4], p2=p1-0.1 b2=[0.805,-1.86].
    const mom = run(sgd({ momentum: 0.9 }), 0.1);
    close(mom[0]!, [0.95, -1.9], 1e-6, 'momentum 1');
    close(mom[1]!, [0.805, -1.86], 1e-6, 'momentum 2');
    // Nesterov: p1 = p0 - 0.1 (g1 + 0.9 b1) = [0.905,-1.81]; p2 = p1 - 0.1 (g2 + 0.9 b2) = [0.6745,-1.824].
    const nest = run(sgd({ momentum: 0.9, nesterov: true }), 0.1);
    close(nest[0]!, [0.905, -1.81], 1e-6, 'nesterov 1');
    close(nest[1]!, [0.6745, -1.824], 1e-6, 'nesterov 2');
    assert.equal(tf.memory().numTensors, start, 'sgd leaks no tensor');
  });

  test(`[${backend}] optimizers reject mismatched grads, missing slots and bad hyperparameters`, async () => {
    await tf.setBackend(backend);
    const params = { a: tf.zeros([2, 3]) };
    const opt = adam();
    const state = opt.init(params);
    const bad = { a: tf.zeros([3, 2]) };
    assert.throws(() => opt.update(bad, state, params, 0.1), (e) => MetaLearnError.is(e, 'invalidArgument') && /grads\['a'\] must have shape \[2, 3\], got \[3, 2\]/.test(e.message));
    assert.throws(() => opt.update({}, state, params, 0.1), (e) => MetaLearnError.is(e, 'invalidArgument') && /grads has no 'a'/.test(e.message));
    assert.throws(() => opt.update(params, { count: 0, slots: {} }, params, 0.1), (e) => MetaLearnError.is(e, 'invalidArgument') && /state.slots has no 'm'/.test(e.message));
    assert.throws(() => opt.update(params, state, params, -1), (e) => MetaLearnError.is(e, 'invalidArgument') && /lr must be/.test(e.message));
    assert.throws(() => adam({ beta1: 1 }), (e) => MetaLearnError.is(e, 'invalidArgument') && /beta1/.test(e.message));
    assert.throws(() => sgd({ nesterov: true }), (e) => MetaLearnError.is(e, 'invalidArgument') && /nesterov/.test(e.message));
    disposeParams(bad);
    disposeState(state);
    disposeParams(params);
  });

  test(`[${backend}] clipByGlobalNorm scales all gradients by maxNorm / ||g|| only when above`, async () => {
    await tf.setBackend(backend);
    const start = tf.memory().numTensors;
    // ||g|| = sqrt(3^2 + 4^2 + 12^2) = 13.
    const g = { a: tf.tensor1d([3, 4]), b: tf.tensor1d([12]) };
    const c = clipByGlobalNorm(g, 6.5);
    assert.ok(Math.abs(c.norm - 13) < 1e-5, String(c.norm));
    close(values(c.grads['a']!), [1.5, 2], 1e-6, 'clipped a');
    close(values(c.grads['b']!), [6], 1e-6, 'clipped b');
    const u = clipByGlobalNorm(g, 100);
    close(values(u.grads['a']!), [3, 4], 0, 'unclipped a');
    disposeParams(c.grads);
    disposeParams(u.grads);
    disposeParams(g);
    assert.equal(tf.memory().numTensors, start);
  });
}

test('cosineSchedule follows minLr + (initLr - minLr)(1 + cos(pi t / T)) / 2 and holds minLr after T', () => {
  const s = cosineSchedule({ initLr: 1e-3, totalSteps: 100, minLr: 1e-5 });
  assert.equal(s(0), 1e-3);
  // t = 25: 1e-5 + 9.9e-4 * (1 + cos(pi/4)) / 2 = 8.55017856687341e-4.
  assert.ok(Math.abs(s(25) - 8.55017856687341e-4) < 1e-15, String(s(25)));
  assert.ok(Math.abs(s(50) - 5.05e-4) < 1e-15, String(s(50)));
  assert.ok(Math.abs(s(100) - 1e-5) < 1e-15);
  assert.ok(Math.abs(s(250) - 1e-5) < 1e-15);
  for (let t = 1; t <= 100; t++) assert.ok(s(t) < s(t - 1), `strictly decreasing at ${t}`);
  assert.equal(constantSchedule(0.3)(1234), 0.3);
  assert.throws(() => cosineSchedule({ initLr: 1e-3, totalSteps: 0 }), (e) => MetaLearnError.is(e, 'invalidArgument') && /totalSteps/.test(e.message));
  assert.throws(() => cosineSchedule({ initLr: 1e-5, totalSteps: 10, minLr: 1e-3 }), (e) => MetaLearnError.is(e, 'invalidArgument') && /initLr/.test(e.message));
});
